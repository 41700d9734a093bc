import CFFmpegLoader
import MediaCore

/// Still images through FFmpeg's image decoders: TIFF, BMP, QOI, JPEG XL (libjxl), and whatever else
/// FFmpeg recognises by content (JPEG 2000, PCX, SGI, PPM, OpenEXR, DPX, …: ``MediaFormat/otherImage``).
/// Also the second decoder for GIF and JPEG files that giflib or TurboJPEG refuse but that are valid
/// (deferred LZW clear codes, frames past the screen, chroma sampling TurboJPEG cannot classify).
///
/// Opened as a one-picture stream with FFmpeg's image demuxers (`tiff_pipe`, `bmp_pipe`, …): the
/// probe reads the size from the stream parameters, the decode takes the first frame and converts
/// it with libswscale to 8-bit RGB or RGBA. Frames above ``MediaLimits/maxPixels`` are refused by
/// the decoder's `max_pixels` before they are allocated.
enum FFmpegImage {
    /// FFmpeg's demuxer for each image format; `nil` lets FFmpeg choose from the content.
    static func demuxerName(_ format: MediaFormat) -> String? {
        switch format {
        case .tiff: "tiff_pipe"
        case .bmp: "bmp_pipe"
        case .qoi: "qoi_pipe"
        case .jxl: "jpegxl_pipe"
        case .gif: "gif"
        case .jpeg: "jpeg_pipe"
        case .png: "png_pipe"
        case .webp: "webp_pipe"
        default: nil
        }
    }

    /// Header facts from FFmpeg's stream parameters (its stream-info pass decodes the picture of
    /// formats whose header it does not parse, under the pixel limit).
    static func probe(_ file: MappedFile, _ format: MediaFormat, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let demuxer: Demuxer
        do {
            demuxer = try Demuxer(path: context.path, formatName: demuxerName(format), limits: context.options.limits)
        } catch {
            throw error.mediaError(path: context.path, stage: .probe, "cannot read the \(format.rawValue) image")
        }
        guard let stream = demuxer.videoStream else { throw context.error(.corruptInput, "holds no picture") }
        let parameters = stream.pointee.codecpar.pointee
        let width = Int(parameters.width), height = Int(parameters.height)
        guard width > 0, height > 0 else {
            throw context.error(.corruptInput, "declares \(width)×\(height) (the \(codecName(parameters.codec_id)) header is unreadable)")
        }
        try context.checkPixels(width, height)
        let pixelFormat = AVPixelFormat(rawValue: parameters.format)
        let depth = parameters.format < 0 ? nil : kimi_av_pix_fmt_desc_get(pixelFormat).map { Int($0.pointee.comp.0.depth) }
        return MediaInfo(
            path: context.path, kind: .image, format: format, storedWidth: width, storedHeight: height,
            orientation: 1, swapsDimensions: false, hasAlpha: parameters.format >= 0 && kimi_pix_fmt_has_alpha(pixelFormat) != 0,
            frameCount: 1, videoCodec: codecName(parameters.codec_id), bitDepth: depth,
            colorModel: parameters.format < 0 ? nil : kimi_av_get_pix_fmt_name(pixelFormat).map { String(cString: $0) },
            bytes: Int64(file.size), accepted: false, diagnostics: context.diagnostics
        )
    }

    /// Decodes the first picture to 8-bit RGB (RGBA when the picture has any transparent pixel).
    static func decode(path: String, format: MediaFormat, limits: MediaLimits) throws(MediaError) -> PixelImage {
        var codec = format.rawValue  // FFmpeg's codec name once the stream is open
        func fail(_ message: String, _ cause: FFmpegError? = nil) -> MediaError {
            cause?.mediaError(path: path, stage: .decode, message) ?? MediaError(.decodeFailed, path: path, stage: .decode, message)
        }
        do {
            let demuxer = try Demuxer(path: path, formatName: demuxerName(format), limits: limits, analyze: false)
            demuxer.clearDeadline()
            guard let stream = demuxer.videoStream else { throw fail("holds no picture") }
            codec = codecName(stream.pointee.codecpar.pointee.codec_id)
            let decoder = try StreamDecoder(stream: stream, threads: 1, maxPixels: limits.maxPixels)
            var sentEnd = false
            while true {
                switch try decoder.receive() {
                case .frame:
                    defer { kimi_av_frame_unref(decoder.frame) }
                    return try convert(decoder.frame, path: path)
                case .endOfStream:
                    throw fail("the file holds no decodable picture")
                case .needsInput:
                    if sentEnd { throw fail("the file holds no decodable picture") }
                    let status = kimi_av_read_frame(demuxer.context, decoder.packet)
                    if status < 0 {
                        guard status == KIMI_AVERROR_EOF else { throw fail("cannot read the picture", FFmpegError(status, "av_read_frame")) }
                        _ = try decoder.send(nil)
                        sentEnd = true
                        continue
                    }
                    defer { kimi_av_packet_unref(decoder.packet) }
                    guard decoder.packet.pointee.stream_index == stream.pointee.index else { continue }
                    _ = try decoder.send(decoder.packet)
                }
            }
        } catch let error as FFmpegError {
            throw fail("FFmpeg's \(codec) decoder cannot decode the picture", error)
        } catch let error as MediaError {
            throw error
        } catch {
            throw fail("FFmpeg's \(codec) decoder cannot decode the picture: \(error)")
        }
    }

    /// One `sws_scale` to packed RGBA, then RGB when every pixel is opaque.
    private static func convert(_ frame: UnsafeMutablePointer<AVFrame>, path: String) throws(MediaError) -> PixelImage {
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        guard width > 0, height > 0,
              let context = kimi_sws_getCachedContext(nil, frame.pointee.width, frame.pointee.height,
                                                      AVPixelFormat(rawValue: frame.pointee.format), frame.pointee.width,
                                                      frame.pointee.height, AV_PIX_FMT_RGBA, KIMI_SWS_POINT | KIMI_SWS_ACCURATE_RND,
                                                      nil, nil, nil)
        else {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot convert a \(width)×\(height) picture to RGB")
        }
        defer { kimi_sws_freeContext(context) }
        let rgba = Plane(width: width, height: height, channels: 4)
        var targets: [UnsafeMutablePointer<UInt8>?] = [rgba.base, nil, nil, nil]
        var strides: [Int32] = [Int32(rgba.rowBytes), 0, 0, 0]
        let sourcePlanes = withUnsafeBytes(of: &frame.pointee.data) { raw in
            Array(raw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).prefix(4)).map { UnsafePointer($0) }
        }
        let sourceStrides = withUnsafeBytes(of: &frame.pointee.linesize) { Array($0.bindMemory(to: Int32.self).prefix(4)) }
        let rows = kimi_sws_scale(context, sourcePlanes, sourceStrides, 0, frame.pointee.height, &targets, &strides)
        guard rows > 0 else { throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot convert the picture to RGB") }
        return PixelImage(rgbaDroppingOpaqueAlpha: rgba)
    }

    /// What FFmpeg takes the content for, when our own sniff does not know it: a video container
    /// (``MediaFormat/otherVideo``) or an image demuxer (`*_pipe`, ``MediaFormat/otherImage``).
    /// Demuxers of text (subtitles, ANSI art) and audio are ignored, as are guesses below FFmpeg's
    /// retry score (25 of 100). With `path`, a guess by content alone comes first, then one that
    /// may also use the file's extension (formats without a signature, such as TGA): `byName` says
    /// which it was.
    static func sniff(_ v: ByteView, path: String? = nil) -> (format: MediaFormat, demuxer: String, byName: Bool)? {
        guard FFmpegRuntime.loadError == nil, v.count > 0 else { return nil }
        let head = v.slice(0, min(v.count, 64 * 1024))
        if let guess = guess(head, fileName: nil) { return (guess.format, guess.demuxer, false) }
        if let path, let guess = guess(head, fileName: path) { return (guess.format, guess.demuxer, true) }
        return nil
    }

    private static func guess(_ head: ByteView, fileName: String?) -> (format: MediaFormat, demuxer: String)? {
        var score: Int32 = 0
        let found = head.bytes.withMemoryRebound(to: UInt8.self) { bytes -> UnsafePointer<CChar>? in
            guard let fileName else { return kimi_probe_format_name(bytes.baseAddress, Int32(bytes.count), nil, &score) }
            return fileName.withCString { kimi_probe_format_name(bytes.baseAddress, Int32(bytes.count), $0, &score) }
        }
        guard let demuxer = found.map({ String(cString: $0) }), score >= 25, !ignoredDemuxers.contains(demuxer) else { return nil }
        return (demuxer.hasSuffix("_pipe") || imageDemuxers.contains(demuxer) ? .otherImage : .otherVideo, demuxer)
    }

    /// Demuxers of still pictures whose names do not end in `_pipe`.
    private static let imageDemuxers: Set<String> = ["image2", "fits", "ico", "apng", "gif", "webp_pipe"]

    /// Demuxers whose match says "text" or "audio" rather than a picture or a video.
    private static let ignoredDemuxers: Set<String> = [
        "tty", "lrc", "srt", "ass", "webvtt", "microdvd", "mpl2", "mpsub", "pjs", "realtext", "sami", "stl", "subviewer",
        "subviewer1", "vplayer", "jacosub", "aqtitle", "scc", "sup", "dvbsub", "dvbtxt", "vobsub", "mp3", "flac", "wav",
        "aac", "ac3", "eac3", "dts", "mpc", "mpc8", "ape", "wv", "tta", "aiff", "au", "caf", "amr", "loas", "mlp", "truehd",
        "w64", "voc", "xwma", "wsaud", "ffmetadata", "data", "hls", "dash", "concat",
    ]

    private static func codecName(_ id: AVCodecID) -> String {
        kimi_avcodec_get_name(id).map { String(cString: $0) } ?? "unknown"
    }
}
