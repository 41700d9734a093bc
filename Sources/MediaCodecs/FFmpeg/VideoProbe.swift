import CFFmpegLoader
import MediaCore

/// Probes a video: container integrity from our own header walk, then FFmpeg's demuxer with a
/// bounded stream-info pass. Frames are not decoded beyond what `avformat_find_stream_info`
/// needs to learn the codec parameters (bounded by ``MediaLimits/probeBytes`` and
/// ``MediaLimits/analyzeSeconds``).
enum VideoProbe {
    /// FFmpeg's demuxer for each container, forced so that FFmpeg reads the file as what we
    /// sniffed; `nil` (``MediaFormat/otherVideo``) lets FFmpeg choose from the content.
    static func demuxerName(_ format: MediaFormat) -> String? {
        switch format {
        case .mp4, .mov, .threeGP: "mov"
        case .mpeg: "mpeg"
        case .avi: "avi"
        case .flv: "flv"
        case .webm, .mkv: "matroska"
        case .wmv: "asf"
        case .mpegts: "mpegts"
        case .ogg: "ogg"
        case .mxf: "mxf"
        case .y4m: "yuv4mpegpipe"
        default: nil
        }
    }

    static func probe(_ file: MappedFile, _ format: MediaFormat, _ context: inout ProbeContext) throws(MediaError) -> MediaInfo {
        let truncated = try context.checkIntegrity(format, file.view)
        let name = demuxerName(format)
        let demuxer: Demuxer
        // ISO BMFF and Matroska/WebM headers give every parameter but the pixel format, which the
        // codec's own header gives (H.264's `avcC`, AV1's `av1C`, a VP9 keyframe's first bytes:
        // ``headerPixelFormat(_:_:)``): the stream-info pass, which decodes frames, runs only when
        // those do not settle it (or, in Matroska, no frame rate is declared).
        let isoMedia = [.mp4, .mov, .threeGP].contains(format)
        let headersSuffice = isoMedia || [.webm, .mkv].contains(format)
        var colorModel: String?
        do {
            demuxer = try Demuxer(path: context.path, formatName: name, limits: context.options.limits, analyze: !headersSuffice)
            if headersSuffice {
                colorModel = demuxer.videoStream.flatMap { Self.headerPixelFormat($0, demuxer) }
                let rated = demuxer.videoStream.map { [$0.pointee.avg_frame_rate, $0.pointee.r_frame_rate].contains { $0.num > 0 && $0.den > 0 } }
                if colorModel == nil || (!isoMedia && rated != true) {
                    colorModel = nil
                    try demuxer.findStreamInfo()
                }
            }
        } catch {
            // A truncated file that FFmpeg cannot open (e.g. its index was at the end) fails as truncated.
            throw error.mediaError(path: context.path, stage: .probe, "cannot read the \(format.rawValue) container", truncated: truncated)
        }
        guard let stream = demuxer.videoStream else {
            let types = demuxer.streams.map { $0.pointee.codecpar.pointee.codec_type }
            if types.contains(AVMEDIA_TYPE_AUDIO) { throw context.error(.unsupportedFormat, "has no video stream (audio only)") }
            // A container whose header lists no stream FFmpeg can read (e.g. an MP4 with a damaged
            // `moov`) is broken, not of another kind.
            if types.allSatisfy({ $0 == AVMEDIA_TYPE_UNKNOWN || $0 == AVMEDIA_TYPE_DATA }) {
                throw context.error(.corruptInput, types.isEmpty ? "the container lists no stream (damaged header)"
                                        : "the container lists no readable stream (damaged header)")
            }
            throw context.error(.unsupportedFormat, "has no video stream")
        }
        let parameters = stream.pointee.codecpar.pointee
        let storedWidth = Int(parameters.width), storedHeight = Int(parameters.height)
        guard storedWidth > 0, storedHeight > 0 else {
            throw context.error(.corruptInput, "video stream declares \(storedWidth)×\(storedHeight)")
        }
        try context.checkPixels(storedWidth, storedHeight)

        let timeBase = stream.pointee.time_base
        let streamSeconds = stream.pointee.duration == KIMI_AV_NOPTS_VALUE || stream.pointee.duration <= 0 || timeBase.den == 0
            ? nil : Double(stream.pointee.duration) * av_q2d(timeBase)
        let duration = streamSeconds ?? demuxer.durationSeconds
        if let duration, duration > context.options.limits.maxDurationSeconds {
            throw context.error(.limitExceeded, "lasts \(duration) s, more than the limit of \(context.options.limits.maxDurationSeconds) s")
        }
        let rate = [stream.pointee.avg_frame_rate, stream.pointee.r_frame_rate]
            .first { $0.num > 0 && $0.den > 0 }.map(av_q2d)
        let declaredFrames = Int(stream.pointee.nb_frames)
        var frames: Int? = declaredFrames > 0 ? declaredFrames : nil
        if let declared = frames, let duration, let rate, Double(declared) / rate > duration * 1.5 + 1 {
            // A header whose frame count its own duration contradicts (found by fuzzing: 4.2 billion
            // frames in a clip of no length) is not believed; the duration is.
            context.diagnostics.append(Diagnostic(code: "frame-count-implausible", stage: .probe,
                                                  message: "the header declares \(counted(declared, "frame")), which \(String(format: "%.3f", duration)) s at \(String(format: "%.4g", rate)) fps contradicts"))
            frames = nil
        }
        if frames == nil, let duration, let rate { frames = Int((duration * rate).rounded()) }
        if let frames, let rate, Double(frames) / rate > context.options.limits.maxDurationSeconds {
            // Without a duration, the frame count and rate say how long it is: the same limit holds
            // (and bounds the frame indices the estimate lists).
            throw context.error(.limitExceeded, "declares \(frames) frames at \(String(format: "%.4g", rate)) fps (\(String(format: "%.0f", Double(frames) / rate)) s), "
                                    + "more than the limit of \(Int(context.options.limits.maxDurationSeconds)) s")
        }
        let rotation = clockwiseRotation(stream)
        let keyframes = KeyframeIndex(stream, declaredFrames: declaredFrames, duration: duration)
        let audio = demuxer.streams.first { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO }

        return MediaInfo(
            path: context.path, kind: .video, format: format, storedWidth: storedWidth, storedHeight: storedHeight,
            orientation: rotation, swapsDimensions: rotation % 180 == 90, frameCount: frames,
            durationSeconds: duration, frameRate: rate, videoCodec: codecName(parameters.codec_id),
            audioCodec: audio.map { codecName($0.pointee.codecpar.pointee.codec_id) }, hasAudio: audio != nil,
            keyframeInterval: keyframes?.interval, keyframeCount: keyframes?.count,
            colorModel: colorModel ?? pixelFormatName(parameters.format), bytes: Int64(file.size),
            accepted: context.accepts(format, file.size), diagnostics: context.diagnostics
        )
    }

    /// The clockwise rotation a player applies, from the display matrix. `av_display_rotation_get`
    /// returns the counter-clockwise angle, so a phone's portrait video (-90) is 90 here.
    static func clockwiseRotation(_ stream: UnsafeMutablePointer<AVStream>) -> Int {
        guard let matrix = kimi_stream_display_matrix(stream) else { return 0 }
        let counterClockwise = kimi_av_display_rotation_get(matrix)
        guard counterClockwise.isFinite else { return 0 }
        let quarterTurns = Int((-counterClockwise / 90).rounded())
        return ((quarterTurns % 4) + 4) % 4 * 90
    }

    private static func codecName(_ id: AVCodecID) -> String {
        kimi_avcodec_get_name(id).map { String(cString: $0) } ?? "unknown"
    }

    /// The pixel format from the codec's headers, without decoding: H.264 and AV1 from their
    /// configuration records, VP9 from its first packet (read here; the probe reads nothing else).
    static func headerPixelFormat(_ stream: UnsafeMutablePointer<AVStream>, _ demuxer: Demuxer) -> String? {
        let parameters = stream.pointee.codecpar.pointee
        switch parameters.codec_id {
        case AV_CODEC_ID_H264:
            return h264PixelFormat(stream)
        case AV_CODEC_ID_AV1:
            return CodecPixelFormat.av1(configuration: parameters.extradataBytes)
        case AV_CODEC_ID_VP9:
            guard let owned = try? OwnedPacket() else { return nil }
            let packet = owned.pointer
            defer { withExtendedLifetime(owned) {} }  // the packet is the object's: alive while read
            for _ in 0..<16 {  // the first packet of the video stream, past a few of others
                guard kimi_av_read_frame(demuxer.context, packet) >= 0 else { return nil }
                defer { kimi_av_packet_unref(packet) }
                guard packet.pointee.stream_index == stream.pointee.index else { continue }
                guard let data = packet.pointee.data else { return nil }
                return CodecPixelFormat.vp9(frame: UnsafeRawBufferPointer(start: data, count: Int(packet.pointee.size)))
            }
            return nil
        default:
            return nil
        }
    }

    /// The pixel format of an H.264 stream from its `avcC` record, when it is 8-bit 4:2:0.
    static func h264PixelFormat(_ stream: UnsafeMutablePointer<AVStream>) -> String? {
        let parameters = stream.pointee.codecpar.pointee
        guard parameters.codec_id == AV_CODEC_ID_H264, parameters.extradata_size > 8 else { return nil }
        return H264Configuration(avcC: parameters.extradataBytes)?.pixelFormatName
    }

    private static func pixelFormatName(_ format: Int32) -> String? {
        format < 0 ? nil : kimi_av_get_pix_fmt_name(AVPixelFormat(rawValue: format)).map { String(cString: $0) }
    }
}

/// Keyframe facts from the demuxer's index (`avformat_index_get_entry`), when that index lists every
/// frame (MP4/MOV/3GP sample tables, AVI `idx1`). Indexes that list only keyframes or cue points
/// (WebM cues, FLV metadata) cannot tell a keyframe's spacing from the index's, so they give `nil`.
struct KeyframeIndex {
    var count: Int
    var interval: Double

    init?(_ stream: UnsafeMutablePointer<AVStream>, declaredFrames: Int, duration: Double?) {
        let entries = Int(kimi_avformat_index_get_entries_count(stream))
        guard entries > 0 else { return nil }
        var keyframes = 0, sawDelta = false
        var first: Int64 = 0, last: Int64 = 0
        for i in 0..<Int32(entries) {
            guard let entry = kimi_avformat_index_get_entry(stream, i) else { continue }
            if entry.pointee.flags & KIMI_AVINDEX_KEYFRAME != 0 {
                if keyframes == 0 { first = entry.pointee.timestamp }
                last = entry.pointee.timestamp
                keyframes += 1
            } else {
                sawDelta = true
            }
        }
        let listsEveryFrame = sawDelta || (declaredFrames > 0 && entries == declaredFrames)
        guard listsEveryFrame, keyframes > 0 else { return nil }
        count = keyframes
        if keyframes == 1 {
            guard let duration else { return nil }
            interval = duration
        } else {
            interval = Double(last - first) * av_q2d(stream.pointee.time_base) / Double(keyframes - 1)
        }
    }
}
