import CPNG
import MediaCore

/// Probes a PNG: our chunk walk for IHDR, APNG and eXIf facts (limits checked before libpng sees
/// the file), then `png_image_begin_read_from_memory`, which validates the header chunks and CRCs
/// without decoding pixels.
enum PNGProbe {
    static func probe(_ file: MappedFile, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let v = file.view
        guard let chunks = PNGChunks.scan(v, maxFrames: context.options.limits.maxAnimationFrames) else {
            throw context.error(v.count < 33 ? .truncatedInput : .corruptInput, "no IHDR chunk")
        }
        guard chunks.width > 0, chunks.height > 0 else {
            throw context.error(.corruptInput, "IHDR declares \(chunks.width)×\(chunks.height)")
        }
        try context.checkPixels(chunks.width, chunks.height)
        var frames = chunks.animationFrames ?? 1
        let frameLimit = context.options.limits.maxAnimationFrames
        if frames > frameLimit {
            // An APNG's default image is a PNG of its own: only its animation is past the limit.
            context.diagnostics.append(Diagnostic(
                code: "animation-ignored", stage: .probe,
                message: "declares \(frames) animation frames, more than the limit of \(frameLimit): the default image is used"))
            frames = 1
        }
        try context.checkIntegrity(.png, v)
        let format = try readHeader(v, &context)
        let orientation = chunks.orientation ?? .up
        return MediaInfo(
            path: context.path, kind: .image, format: .png, storedWidth: chunks.width, storedHeight: chunks.height,
            orientation: orientation.rawValue, swapsDimensions: orientation.swapsDimensions,
            hasAlpha: format & KIMI_PNG_FORMAT_FLAG_ALPHA != 0, animated: frames > 1, frameCount: frames,
            durationSeconds: frames > 1 ? chunks.animationSeconds : nil, bitDepth: chunks.bitDepth,
            colorModel: chunks.colorModel, progressive: chunks.interlaced, bytes: Int64(v.count),
            accepted: context.accepts(.png, v.count), diagnostics: context.diagnostics
        )
    }

    /// Wraps `png_image_begin_read_from_memory`; returns libpng's `PNG_FORMAT_*` flags.
    private static func readHeader(_ v: ByteView, _ context: inout ProbeContext) throws(MediaError) -> UInt32 {
        var image = png_image()
        image.version = KIMI_PNG_IMAGE_VERSION
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, v.bytes.baseAddress, v.count) != 0 else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw context.error(.corruptInput, "invalid PNG header: \(message)")
        }
        return image.format
    }
}
