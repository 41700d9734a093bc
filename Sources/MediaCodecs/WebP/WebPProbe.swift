import CWebP
import MediaCore

/// Probes a WebP with `WebPGetFeatures` (size, alpha, animation) and the demuxer (`WebPDemux`:
/// frame count, frame durations, the EXIF chunk). No pixel is decoded.
enum WebPProbe {
    static func probe(_ file: MappedFile, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let v = file.view
        try context.checkIntegrity(.webp, v)
        let base = v.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(base, v.count, &features)
        guard status == VP8_STATUS_OK else {
            let code: MediaError.Code = status == VP8_STATUS_NOT_ENOUGH_DATA ? .truncatedInput : .corruptInput
            throw context.error(code, "invalid WebP header (WebPGetFeatures status \(status.rawValue))")
        }
        let width = Int(features.width), height = Int(features.height)
        try context.checkPixels(width, height)

        var data = WebPData(bytes: base, size: v.count)
        var frames = 1
        var seconds: Double?
        var orientation = ExifOrientation.up
        if let demux = WebPDemux(&data) {
            defer { WebPDemuxDelete(demux) }
            frames = max(1, Int(WebPDemuxGetI(demux, WEBP_FF_FRAME_COUNT)))
            try context.checkFrames(frames)
            if features.has_animation != 0 { seconds = animationSeconds(demux) }
            let flags = WebPDemuxGetI(demux, WEBP_FF_FORMAT_FLAGS)
            if flags & UInt32(EXIF_FLAG.rawValue) != 0 {
                var chunk = WebPChunkIterator()
                if WebPDemuxGetChunk(demux, "EXIF", 1, &chunk) != 0 {
                    let exif = ByteView(UnsafeRawBufferPointer(start: chunk.chunk.bytes, count: chunk.chunk.size))
                    orientation = ExifReader.orientation(exif) ?? .up
                }
                WebPDemuxReleaseChunkIterator(&chunk)
            }
        } else if features.has_animation != 0 {
            throw context.error(.corruptInput, "animated WebP whose frames cannot be parsed (WebPDemux failed)")
        }
        return MediaInfo(
            path: context.path, kind: .image, format: .webp, storedWidth: width, storedHeight: height,
            orientation: orientation.rawValue, swapsDimensions: orientation.swapsDimensions,
            hasAlpha: features.has_alpha != 0, animated: frames > 1, frameCount: frames, durationSeconds: seconds,
            bitDepth: 8, colorModel: "rgb", bytes: Int64(v.count), accepted: context.accepts(.webp, v.count),
            diagnostics: context.diagnostics
        )
    }

    /// Sum of the frame durations (milliseconds in the ANMF chunks). Wraps `WebPDemuxGetFrame`.
    private static func animationSeconds(_ demux: OpaquePointer) -> Double {
        var iterator = WebPIterator()
        defer { WebPDemuxReleaseIterator(&iterator) }
        guard WebPDemuxGetFrame(demux, 1, &iterator) != 0 else { return 0 }
        var milliseconds = 0
        repeat { milliseconds += Int(iterator.duration) } while WebPDemuxNextFrame(&iterator) != 0
        return Double(milliseconds) / 1000
    }
}
