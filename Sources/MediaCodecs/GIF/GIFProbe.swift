import CGIF
import MediaCore

/// Probes a GIF with giflib: `DGifOpen` reads the logical screen, then a walk over the records
/// (`DGifGetRecordType`, `DGifGetImageDesc`, `DGifGetExtension`) counts frames and adds their
/// delays, skipping the LZW data block by block (`DGifGetCode`/`DGifGetCodeNext`) undecoded.
enum GIFProbe {
    static func probe(_ file: MappedFile, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let v = file.view
        let reader: GIFReader
        do {
            reader = try GIFReader(v)
        } catch {
            throw context.error(error.atEnd ? .truncatedInput : .corruptInput, "invalid GIF header: \(error.text)")
        }
        let gif = reader.gif
        let atEnd = { reader.atEnd }
        let width = Int(gif.pointee.SWidth), height = Int(gif.pointee.SHeight)
        guard width > 0, height > 0 else { throw context.error(.corruptInput, "logical screen is \(width)×\(height)") }
        try context.checkPixels(width, height)

        var frames = 0
        var firstFrameRead = false  // the first frame's image data was read to its end
        var centiseconds = 0
        var transparent = false
        var interlaced = false
        walk: while true {
            var type = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(gif, &type) == KIMI_GIF_OK else {
                try recordFailure(gif, atEnd(), frames, firstFrameRead, &context)
                break walk
            }
            switch type {
            case IMAGE_DESC_RECORD_TYPE:
                let descriptor = reader.offset  // Left, Top, Width, Height (little-endian), flags
                guard DGifGetImageDesc(gif) == KIMI_GIF_OK else {
                    // A frame far larger than its file (a decompression bomb) is refused for its
                    // size, whatever else is wrong after it.
                    if frames == 0, let left = v.u16le(descriptor), let top = v.u16le(descriptor + 2),
                       let w = v.u16le(descriptor + 4), let h = v.u16le(descriptor + 6) {
                        try context.checkPixels(Int(left) + Int(w), Int(top) + Int(h))
                    }
                    try recordFailure(gif, atEnd(), frames, firstFrameRead, &context)
                    break walk
                }
                frames += 1
                try context.checkFrames(frames)
                let image = gif.pointee.Image
                // The area the first frame reaches (its offset plus its size, as Pillow counts a frame
                // past the screen), so a tiny file cannot make a decoder expand gigapixels. Later
                // frames are never decoded.
                if frames == 1 { try context.checkPixels(Int(image.Left) + Int(image.Width), Int(image.Top) + Int(image.Height)) }
                if image.Interlace { interlaced = true }
                var size: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetCode(gif, &size, &block) == KIMI_GIF_OK else { try recordFailure(gif, atEnd(), frames, firstFrameRead, &context); break walk }
                while block != nil {
                    guard DGifGetCodeNext(gif, &block) == KIMI_GIF_OK else { try recordFailure(gif, atEnd(), frames, firstFrameRead, &context); break walk }
                }
                firstFrameRead = true
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(gif, &code, &block) == KIMI_GIF_OK else { try recordFailure(gif, atEnd(), frames, firstFrameRead, &context); break walk }
                if code == GRAPHICS_EXT_FUNC_CODE, let b = block, b[0] >= 4 {
                    if b[1] & 1 != 0 { transparent = true }
                    centiseconds += Int(b[2]) | Int(b[3]) << 8
                }
                while block != nil {
                    guard DGifGetExtensionNext(gif, &block) == KIMI_GIF_OK else { try recordFailure(gif, atEnd(), frames, firstFrameRead, &context); break walk }
                }
            case TERMINATE_RECORD_TYPE:
                break walk
            default:
                break
            }
        }
        guard frames > 0 else { throw context.error(.corruptInput, "contains no image") }
        return MediaInfo(
            path: context.path, kind: .image, format: .gif, storedWidth: width, storedHeight: height,
            orientation: 1, swapsDimensions: false, hasAlpha: transparent, animated: frames > 1, frameCount: frames,
            durationSeconds: frames > 1 ? Double(centiseconds) / 100 : nil, bitDepth: 8, colorModel: "palette",
            progressive: interlaced, bytes: Int64(v.count), accepted: context.accepts(.gif, v.count),
            diagnostics: context.diagnostics
        )
    }

    /// A record that cannot be read: at the end of the file it is truncation (kept as a diagnostic
    /// when allowed and at least one frame was read); elsewhere the data is corrupt — fatal before
    /// the first frame, a `damaged` diagnostic after it (only the first frame is ever sent).
    private static func recordFailure(_ gif: UnsafeMutablePointer<GifFileType>, _ atEnd: Bool, _ frames: Int, _ firstFrameRead: Bool,
                                      _ context: inout ProbeContext) throws(MediaError) {
        let text = GIFReader.errorText(gif.pointee.Error)
        if !atEnd, firstFrameRead {
            context.diagnostics.append(Diagnostic(code: "damaged", stage: .probe,
                                                  message: "the GIF is unreadable after frame \(max(1, frames - 1)) (\(text)): the first frame is used"))
            return
        }
        guard atEnd else { throw context.error(.corruptInput, "invalid GIF record: \(text)") }
        guard frames > 0 else { throw context.error(.truncatedInput, "file is truncated before the first image") }
        try context.truncated("the file ends inside frame \(frames) (\(text))")
    }
}
