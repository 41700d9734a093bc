import CFFmpegLoader
import MediaCore

/// What ``VideoTranscoder`` wrote.
public struct TranscodedVideo: Sendable {
    public var width: Int
    public var height: Int
    /// Video frames written.
    public var frames: Int
    public var durationSeconds: Double
    public var diagnostics: [Diagnostic]
}

/// Writes the MP4 a ``VideoEncodePlan`` describes: H.264 from libx264 (`preset`, `crf`) at the plan's
/// size, or the video's own packets copied; audio copied, re-encoded to AAC or dropped; the display
/// rotation kept as metadata; `+faststart` (the index before the data). One pass, a few frames in
/// flight: decode → swscale (bicubic, as ffmpeg's `scale` filter) → encode → interleaved mux.
public enum VideoTranscoder {
    /// libx264's settings: preset, CRF and threads.
    public struct Settings: Sendable, Hashable {
        public var preset: String
        public var crf: Int
        /// Encoder threads; 0 lets libx264 choose (as the ffmpeg CLI does — its output then depends
        /// on the machine's cores).
        public var threads: Int

        /// The thread count `prepare` always uses, so that its bytes do not depend on the machine.
        public static let reproducibleThreads = 4

        /// The CRF of a `--video model` file. Its frames are already at the size the model reads;
        /// the fitted file's are larger, and the model's downscale (1920×1080 → 1196×672: 2.6× fewer
        /// pixels) averages their coding noise away. At CRF 25 the model-size file is as faithful to
        /// what the model reads as the fitted file at CRF 23 is: on the bench's 4K HEVC clip, against
        /// the source's own sampled frames resized to 1196×672, 48.2 dB PSNR against 47.9 dB (CRF 23:
        /// 49.6 dB for 37 % more bytes). `make bench-video-model`; docs/benchmarks.md.
        public static let modelRateCRF = 25

        public init(preset: String = "veryfast", crf: Int = 23, threads: Int = 0) {
            self.preset = preset
            self.crf = crf
            self.threads = threads
        }
    }

    public static func transcode(path: String, info: MediaInfo, plan: VideoEncodePlan, to output: String, limits: MediaLimits,
                                 settings: Settings = Settings()) throws(MediaError) -> TranscodedVideo {
        // The output that cannot be written (disk full, a size limit, a read-only or vanished folder)
        // is an `io` error at the write stage, not a video that cannot be encoded: FFmpegError's one mapping.
        func failure(_ message: String, _ cause: FFmpegError) -> MediaError {
            cause.mediaError(path: path, stage: .encode, message, output: output)
        }
        guard info.kind == .video else {
            throw MediaError(.unsupportedFormat, path: path, stage: .encode, "\(info.format.rawValue) is not a video container")
        }
        let name = VideoProbe.demuxerName(info.format)
        let job: TranscodeJob
        do {
            let demuxer = try Demuxer(path: path, formatName: name, limits: limits)
            demuxer.clearDeadline()
            guard demuxer.videoStream != nil else {
                throw MediaError(.unsupportedFormat, path: path, stage: .encode, "has no video stream")
            }
            job = try TranscodeJob(demuxer: demuxer, plan: plan, output: output, settings: settings)
        } catch let error as FFmpegError {
            throw failure("cannot set up the re-encode", error)
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(.encodeFailed, path: path, stage: .encode, "\(error)")
        }
        do {
            return try job.run()
        } catch {
            throw failure("re-encoding failed", error)
        }
    }

    /// The presentation times of the video's keyframes (packet key flags), in seconds from the
    /// container's start — the clock ``VideoEncodePlan/startSeconds`` is on — sorted. Reads only the
    /// key packets (`AVDISCARD_NONKEY`): the cut points of a video split without re-encoding.
    public static func keyframeTimes(path: String, info: MediaInfo, limits: MediaLimits) throws(MediaError) -> [Double] {
        do {
            let demuxer = try Demuxer(path: path, formatName: VideoProbe.demuxerName(info.format), limits: limits)
            demuxer.clearDeadline()
            guard let stream = demuxer.videoStream else {
                throw MediaError(.unsupportedFormat, path: path, stage: .plan, "has no video stream")
            }
            demuxer.discardAll(except: [stream.pointee.index], keeping: AVDISCARD_NONKEY)
            let start = demuxer.context.pointee.start_time == KIMI_AV_NOPTS_VALUE ? 0 : Double(demuxer.context.pointee.start_time) / Double(KIMI_AV_TIME_BASE)
            let packet = try OwnedPacket()
            var times: [Double] = []
            while kimi_av_read_frame(demuxer.context, packet.pointer) >= 0 {
                defer { kimi_av_packet_unref(packet.pointer) }
                guard packet.pointer.pointee.stream_index == stream.pointee.index, packet.pointer.pointee.flags & KIMI_AV_PKT_FLAG_KEY != 0 else { continue }
                let stamp = packet.pointer.pointee.pts == KIMI_AV_NOPTS_VALUE ? packet.pointer.pointee.dts : packet.pointer.pointee.pts
                guard stamp != KIMI_AV_NOPTS_VALUE else { continue }
                times.append(Double(stamp) * av_q2d(stream.pointee.time_base) - start)
            }
            return times.sorted()
        } catch let error as FFmpegError {
            throw error.mediaError(path: path, stage: .plan, "cannot read the keyframes")
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(.decodeFailed, path: path, stage: .plan, "\(error)")
        }
    }
}

/// One re-encode in progress: the input, the output and the codecs between them. Not `Sendable`.
private final class TranscodeJob {
    let demuxer: Demuxer
    let plan: VideoEncodePlan
    /// Every FFmpeg object is held by an owner (``OutputFile``, ``OwnedEncoder``, ``OwnedScaler``,
    /// ``OwnedResampler``, ``OwnedFrame``, ``OwnedPacket``), so nothing leaks whichever step fails.
    let outputFile: OutputFile
    var output: UnsafeMutablePointer<AVFormatContext> { outputFile.context }
    let inVideo: UnsafeMutablePointer<AVStream>
    let outVideo: UnsafeMutablePointer<AVStream>
    var inAudio: UnsafeMutablePointer<AVStream>?
    var outAudio: UnsafeMutablePointer<AVStream>?
    var videoDecoder: StreamDecoder?
    var ownedVideoEncoder: OwnedEncoder?
    var videoEncoder: UnsafeMutablePointer<AVCodecContext>? { ownedVideoEncoder?.context }
    var audioDecoder: StreamDecoder?
    var ownedAudioEncoder: OwnedEncoder?
    var audioEncoder: UnsafeMutablePointer<AVCodecContext>? { ownedAudioEncoder?.context }
    let resampler = OwnedResampler()
    let scaler = OwnedScaler()
    let scaledFrame: OwnedFrame
    var scaled: UnsafeMutablePointer<AVFrame> { scaledFrame.pointer }
    let packet: OwnedPacket
    var outPacket: UnsafeMutablePointer<AVPacket> { packet.pointer }
    var audioSamples: Int64 = 0
    var framesWritten = 0
    /// The last `--max-fps` slot a frame was kept in.
    var lastKeptSeconds: Double?
    var lastPTS: Int64 = Int64.min
    /// `--video model`: the source frames to keep (sorted), the next one wanted, frames decoded so far.
    lazy var modelFrames: [Int] = plan.modelRate.map(\.frameIndices) ?? []
    var nextModelFrame = 0
    var framesDecoded = 0
    /// Whether only the model's frames are written, on a constant-rate grid (`--video model` of a
    /// source faster than the model samples).
    var modelGrid: Bool { plan.modelRate.map { $0.frames != $0.sourceFrames } ?? false }
    var lastSeconds = 0.0
    var diagnostics: [Diagnostic] = []
    var headerWritten = false
    /// The input's start time plus the part's start (AV_TIME_BASE units), taken off every timestamp
    /// so the output starts at zero, as the ffmpeg CLI does.
    let startOffset: Int64

    init(demuxer: Demuxer, plan: VideoEncodePlan, output path: String, settings: VideoTranscoder.Settings) throws(FFmpegError) {
        self.demuxer = demuxer
        self.plan = plan
        inVideo = demuxer.videoStream!
        let start = demuxer.context.pointee.start_time
        let part = Int64(((plan.startSeconds ?? 0) * Double(KIMI_AV_TIME_BASE)).rounded())
        startOffset = (start == KIMI_AV_NOPTS_VALUE ? 0 : start) + part
        outputFile = try OutputFile(format: "mp4", path: path)
        scaledFrame = try OwnedFrame()
        packet = try OwnedPacket()
        guard let stream = kimi_avformat_new_stream(outputFile.context, nil) else { throw FFmpegError(kimi_averror(ENOMEM), "avformat_new_stream") }
        outVideo = stream
        try setUpVideo(settings)
        if plan.audio == .copy || plan.audio == .encode,
           let audio = demuxer.streams.first(where: { $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO }) {
            inAudio = audio
            try setUpAudio(audio)
        }
        demuxer.discardAll(except: [inVideo.pointee.index] + (inAudio.map { [$0.pointee.index] } ?? []))
        // A part that starts later: from the keyframe at or before its start (frames before the
        // start are decoded for reference, not written; a copied part starts on its keyframe).
        if let partStart = plan.startSeconds, partStart > 0 {
            let target = kimi_av_rescale_q(startOffset, AVRational(num: 1, den: KIMI_AV_TIME_BASE), inVideo.pointee.time_base)
            try FFmpegError.check(kimi_av_seek_frame(demuxer.context, inVideo.pointee.index, target, KIMI_AVSEEK_FLAG_BACKWARD), "av_seek_frame")
        }
        try FFmpegError.check(kimi_avio_open(&output.pointee.pb, path, KIMI_AVIO_FLAG_WRITE), "avio_open")
        var options: OpaquePointer?
        defer { kimi_av_dict_free(&options) }
        try FFmpegError.check(kimi_av_dict_set(&options, "movflags", "+faststart", 0), "av_dict_set(movflags)")
        try FFmpegError.check(kimi_avformat_write_header(output, &options), "avformat_write_header")
        headerWritten = true
    }

    /// libx264 0.164's assembly reads 4 bytes past one of its own frame buffers when the frame is
    /// 81–96 rows tall (six macroblock rows) and, among others, 160, 416, 672, 928 or 2208 wide
    /// (valgrind: "Invalid read of size 16 … 157,812 bytes inside a block of size 157,824"; the
    /// ffmpeg CLI does the same). What lies there is whatever the heap holds, so the encode's bytes
    /// changed from run to run when other work shared the process (1 clip in 60 of a 160×90 MPEG-2
    /// file under `--jobs 6`). The same held at 176×144 (QCIF, what 3GP phones write), where
    /// valgrind sees nothing out of bounds: a 176×144 H.263 clip's re-encode diverged from frame 33
    /// on in 3 of 11 runs of the test suite (other tests sharing the process) and in one CI
    /// scale-test; with the C code, 0 of 13. Frames that short are encoded with x264's C code
    /// (`asm=0`): the same bytes every run and on every CPU, and at ≤ 144 rows the time is a few
    /// milliseconds a second of video either way.
    static func x264OverReads(height: Int) -> Bool { height <= 144 }

    /// libx264's `asm` option, when not its own detection: its C code (`0`) for frames that short,
    /// and otherwise every instruction set it would pick but AVX-512, whose code also reads what
    /// lies past its buffers. A 320×178 clip (`Fixtures/quirks/odd-size.webm`) re-encoded after four
    /// 160×90 clips in one process came out in other bytes in 9 runs of 40, and once in the CI scale
    /// test; without AVX-512, 0 in 60 (valgrind emulates no AVX-512, so it never saw these reads).
    /// The cost: ~5–10 % more time in libx264 on a CPU that has AVX-512 (a 1080p re-encode 2.5 →
    /// 2.8 s here); elsewhere nothing changes.
    static func x264Assembly(height: Int) -> String? {
        if x264OverReads(height: height) { return "0" }
        return kimi_x264_asm_without_avx512().map { String(cString: $0) }
    }

    /// libx264's frame threads are not deterministic on small frames whatever `b_deterministic`
    /// says: the ffmpeg CLI itself gave 3 different sizes in 30 runs of a 176×144 H.263 clip with
    /// `-threads 4`, and 1 size with `-threads 1` (or sliced threads). Frames up to 360 rows — a few
    /// milliseconds a frame on one thread — get one; larger ones keep `requested` (frame threads;
    /// 720p and up gave the same bytes in every run seen: 12 clips × many runs of the scale test).
    static func x264Threads(_ requested: Int, height: Int) -> Int { height <= 360 ? 1 : requested }

    private func setUpVideo(_ settings: VideoTranscoder.Settings) throws(FFmpegError) {
        let parameters = inVideo.pointee.codecpar!
        if plan.video == .copy {
            try FFmpegError.check(kimi_avcodec_parameters_copy(outVideo.pointee.codecpar, parameters), "avcodec_parameters_copy")
            outVideo.pointee.codecpar.pointee.codec_tag = 0
            outVideo.pointee.time_base = inVideo.pointee.time_base
        } else {
            // One decoder thread up to ~1080p (x264 keeps both cores busy; a second decoding thread
            // only held more frames: 312 → 306 MiB for 1080p VP9, same time), two above it (4K
            // decoding alone then bounds the pipeline: 11.8 s with one thread against 10.4 s), and
            // one again above 4K: each frame thread holds its own reference frames, and an 8K 10-bit
            // HEVC clip peaked at 1.09 GB with two. At the model's rate (`--video model`) x264 gets
            // 2 frames a second of video and decoding bounds the pipeline at every size: two decoder
            // threads up to 4K (the 30 s 1080p H.264 clip: 4.6 s with one, 2.8 s with two; ffmpeg
            // making the same MP4 3.1 s, `make bench --only sent`).
            let pixels = Int(parameters.pointee.width) * Int(parameters.pointee.height)
            let decodeBound = pixels > 2_500_000 || plan.modelRate != nil
            videoDecoder = try StreamDecoder(stream: inVideo, threads: decodeBound && pixels <= 9_000_000 ? 2 : 1)
            guard let codec = kimi_avcodec_find_encoder_by_name("libx264") ?? kimi_avcodec_find_encoder(AV_CODEC_ID_H264) else {
                throw FFmpegError(KIMI_AVERROR_ENCODER_NOT_FOUND, "avcodec_find_encoder(h264)")
            }
            let owned = try OwnedEncoder(codec)
            ownedVideoEncoder = owned
            let encoder = owned.context
            encoder.pointee.width = Int32(plan.width)
            encoder.pointee.height = Int32(plan.height)
            encoder.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            encoder.pointee.time_base = inVideo.pointee.time_base
            var rate = inVideo.pointee.avg_frame_rate.num > 0 ? inVideo.pointee.avg_frame_rate : inVideo.pointee.r_frame_rate
            if modelGrid, let model = plan.modelRate {
                // The model's frames, one every 1/fps second: frame k at k/fps.
                var (num, den) = (Int32((model.fps * 1000).rounded()), Int32(1000))
                var (a, b) = (num, den)
                while b != 0 { (a, b) = (b, a % b) }
                (num, den) = (num / a, den / a)
                rate = AVRational(num: num, den: den)
                encoder.pointee.time_base = AVRational(num: rate.den, den: rate.num)
            }
            encoder.pointee.framerate = rate
            encoder.pointee.sample_aspect_ratio = parameters.pointee.sample_aspect_ratio
            encoder.pointee.color_range = AVCOL_RANGE_MPEG
            encoder.pointee.colorspace = parameters.pointee.color_space
            encoder.pointee.color_primaries = parameters.pointee.color_primaries
            encoder.pointee.color_trc = parameters.pointee.color_trc
            encoder.pointee.thread_count = Int32(Self.x264Threads(settings.threads, height: plan.height))
            if output.pointee.oformat.pointee.flags & KIMI_AVFMT_GLOBALHEADER != 0 {
                encoder.pointee.flags |= KIMI_AV_CODEC_FLAG_GLOBAL_HEADER
            }
            // Every option checked: a refused preset or CRF would encode with libx264's defaults, silently.
            try FFmpegError.check(kimi_av_opt_set(encoder.pointee.priv_data, "preset", settings.preset, 0), "av_opt_set(preset)")
            try FFmpegError.check(kimi_av_opt_set(encoder.pointee.priv_data, "crf", "\(settings.crf)", 0), "av_opt_set(crf)")
            if let cap = plan.maxBitrate {
                // Capped CRF: the quality target holds where the rate allows, the VBV keeps it under the cap.
                encoder.pointee.rc_max_rate = Int64(cap)
                encoder.pointee.rc_buffer_size = Int32(clamping: cap * 2)
            }
            if let asm = Self.x264Assembly(height: plan.height) {
                try FFmpegError.check(kimi_av_opt_set(encoder.pointee.priv_data, "x264-params", "asm=" + asm, 0), "av_opt_set(x264-params)")
            }
            try FFmpegError.check(kimi_avcodec_open2(encoder, codec, nil), "avcodec_open2(libx264)")
            try FFmpegError.check(kimi_avcodec_parameters_from_context(outVideo.pointee.codecpar, encoder), "avcodec_parameters_from_context")
            outVideo.pointee.time_base = encoder.pointee.time_base
            outVideo.pointee.avg_frame_rate = rate
            scaled.pointee.format = AV_PIX_FMT_YUV420P.rawValue
            scaled.pointee.width = Int32(plan.width)
            scaled.pointee.height = Int32(plan.height)
            try FFmpegError.check(kimi_av_frame_get_buffer(scaled, 0), "av_frame_get_buffer")
        }
        // The display rotation travels as metadata, as it came.
        if let matrix = kimi_stream_display_matrix(inVideo),
           let copy = kimi_av_stream_new_side_data(outVideo, AV_PKT_DATA_DISPLAYMATRIX, 9 * MemoryLayout<Int32>.size) {
            copy.withMemoryRebound(to: Int32.self, capacity: 9) { $0.update(from: matrix, count: 9) }
        }
    }

    /// Audio MP4 carries is copied; other audio goes through swresample (planar float) into AAC.
    private func setUpAudio(_ audio: UnsafeMutablePointer<AVStream>) throws(FFmpegError) {
        guard let stream = kimi_avformat_new_stream(output, nil) else { throw FFmpegError(kimi_averror(ENOMEM), "avformat_new_stream") }
        outAudio = stream
        if plan.audio == .copy {
            try FFmpegError.check(kimi_avcodec_parameters_copy(stream.pointee.codecpar, audio.pointee.codecpar), "avcodec_parameters_copy")
            stream.pointee.codecpar.pointee.codec_tag = 0
            stream.pointee.time_base = audio.pointee.time_base
            return
        }
        let decoder = try StreamDecoder(stream: audio, threads: 1)
        audioDecoder = decoder
        guard let codec = kimi_avcodec_find_encoder(AV_CODEC_ID_AAC) else { throw FFmpegError(KIMI_AVERROR_ENCODER_NOT_FOUND, "avcodec_find_encoder(aac)") }
        let owned = try OwnedEncoder(codec)
        ownedAudioEncoder = owned
        let encoder = owned.context
        let aacRates: Set<Int32> = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
        let inRate = decoder.context.pointee.sample_rate
        encoder.pointee.sample_rate = aacRates.contains(inRate) ? inRate : 48000
        encoder.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        kimi_av_channel_layout_default(&encoder.pointee.ch_layout, min(2, max(1, decoder.context.pointee.ch_layout.nb_channels)))
        encoder.pointee.bit_rate = 128_000
        encoder.pointee.time_base = AVRational(num: 1, den: encoder.pointee.sample_rate)
        if output.pointee.oformat.pointee.flags & KIMI_AVFMT_GLOBALHEADER != 0 {
            encoder.pointee.flags |= KIMI_AV_CODEC_FLAG_GLOBAL_HEADER
        }
        try FFmpegError.check(kimi_avcodec_open2(encoder, codec, nil), "avcodec_open2(aac)")
        try FFmpegError.check(kimi_avcodec_parameters_from_context(stream.pointee.codecpar, encoder), "avcodec_parameters_from_context")
        stream.pointee.time_base = encoder.pointee.time_base
        var inLayout = decoder.context.pointee.ch_layout
        if inLayout.nb_channels <= 0 || inLayout.order == AV_CHANNEL_ORDER_UNSPEC {
            kimi_av_channel_layout_default(&inLayout, max(1, decoder.context.pointee.ch_layout.nb_channels))
        }
        try FFmpegError.check(kimi_swr_alloc_set_opts2(&resampler.context, &encoder.pointee.ch_layout, AV_SAMPLE_FMT_FLTP, encoder.pointee.sample_rate,
                                                       &inLayout, decoder.context.pointee.sample_fmt, inRate, 0, nil), "swr_alloc_set_opts2")
        try FFmpegError.check(kimi_swr_init(resampler.context), "swr_init")
    }

    func run() throws(FFmpegError) -> TranscodedVideo {
        // The decoder's packet when there is one; else a packet of its own (not the output's).
        let spare = videoDecoder?.packet == nil && audioDecoder?.packet == nil ? try OwnedPacket() : nil
        let reading = videoDecoder?.packet ?? audioDecoder?.packet ?? spare!.pointer
        var readFailure: FFmpegError?
        while true {
            let status = kimi_av_read_frame(demuxer.context, reading)
            if status == KIMI_AVERROR_EOF { break }
            if status < 0 {
                readFailure = FFmpegError(status, "av_read_frame")
                break
            }
            defer { kimi_av_packet_unref(reading) }
            let index = reading.pointee.stream_index
            // A length cut (a budget): packets past it are not needed; a second later (B-frames
            // reorder within that), nothing more is read.
            if let cut = plan.maxDurationSeconds, let at = seconds(reading.pointee.dts == KIMI_AV_NOPTS_VALUE ? reading.pointee.pts
                                                                                                           : reading.pointee.dts,
                                                                   index == inVideo.pointee.index ? inVideo : (inAudio ?? inVideo)) {
                if at - startSeconds > cut + 1 { break }
                if index != inVideo.pointee.index && at - startSeconds >= cut { continue }
            }
            // A part's audio starts with its video (packets before the start belong to the part before).
            if plan.startSeconds != nil, index != inVideo.pointee.index,
               let at = seconds(reading.pointee.pts, inAudio ?? inVideo), at - startSeconds < -1e-6 { continue }
            if index == inVideo.pointee.index {
                if let decoder = videoDecoder {
                    try feed(decoder, reading) { frame throws(FFmpegError) in try encodeVideo(frame) }
                } else {
                    if let seconds = seconds(reading.pointee.pts, inVideo), !keepFrame(seconds) { continue }
                    framesWritten += 1
                    if let seconds = seconds(reading.pointee.pts, inVideo) { lastSeconds = max(lastSeconds, seconds) }
                    shift(reading, by: offset(in: inVideo.pointee.time_base))
                    try write(reading, from: inVideo.pointee.time_base, to: outVideo)
                }
            } else if let inAudio, let outAudio, index == inAudio.pointee.index {
                if let decoder = audioDecoder {
                    try feed(decoder, reading) { frame throws(FFmpegError) in try encodeAudio(frame, flushing: false) }
                } else {
                    shift(reading, by: offset(in: inAudio.pointee.time_base))
                    try write(reading, from: inAudio.pointee.time_base, to: outAudio)
                }
            }
        }
        if let readFailure {
            diagnostics.append(Diagnostic(code: "damaged", stage: .encode,
                                          message: "reading stopped after \(counted(framesWritten, "frame")): \(readFailure)"))
        }
        // Drain decoders, then encoders.
        if let decoder = videoDecoder { try feed(decoder, nil) { frame throws(FFmpegError) in try encodeVideo(frame) } }
        if let decoder = audioDecoder { try feed(decoder, nil) { frame throws(FFmpegError) in try encodeAudio(frame, flushing: false) } }
        if audioEncoder != nil { try encodeAudio(nil, flushing: true) }
        if let videoEncoder { try drain(videoEncoder, nil, to: outVideo) }
        guard framesWritten > 0 else { throw FFmpegError(KIMI_AVERROR_INVALIDDATA, "no video frame could be decoded") }
        try FFmpegError.check(kimi_av_write_trailer(output), "av_write_trailer")
        try FFmpegError.check(kimi_avio_closep(&output.pointee.pb), "avio_closep")
        return TranscodedVideo(width: plan.width, height: plan.height, frames: framesWritten, durationSeconds: lastSeconds,
                               diagnostics: diagnostics)
    }

    private func offset(in timeBase: AVRational) -> Int64 {
        kimi_av_rescale_q(startOffset, AVRational(num: 1, den: KIMI_AV_TIME_BASE), timeBase)
    }

    private func shift(_ packet: UnsafeMutablePointer<AVPacket>, by offset: Int64) {
        if packet.pointee.pts != KIMI_AV_NOPTS_VALUE { packet.pointee.pts -= offset }
        if packet.pointee.dts != KIMI_AV_NOPTS_VALUE { packet.pointee.dts -= offset }
    }

    private func seconds(_ stamp: Int64, _ stream: UnsafeMutablePointer<AVStream>) -> Double? {
        stamp == KIMI_AV_NOPTS_VALUE ? nil : Double(stamp) * av_q2d(stream.pointee.time_base)
    }

    /// The input's start, in seconds.
    private var startSeconds: Double { Double(startOffset) / Double(KIMI_AV_TIME_BASE) }

    /// `--max-fps`: keeps the first frame of each 1/maxFPS slot of time, so the output has at most
    /// maxFPS frames a second (exactly that when the source is faster); and no frame at or past a
    /// length cut.
    private func keepFrame(_ seconds: Double) -> Bool {
        if let cut = plan.maxDurationSeconds, seconds - startSeconds >= cut - 1e-6 { return false }
        if plan.startSeconds != nil, seconds - startSeconds < -1e-6 { return false }
        guard let maxFPS = plan.maxFPS else { return true }
        let slot = (seconds * maxFPS + 1e-6).rounded(.down)
        if let last = lastKeptSeconds, slot <= last { return false }
        lastKeptSeconds = slot
        return true
    }

    /// Sends `packet` (nil: drain) and hands each decoded frame to `body`. A refused or undecodable
    /// packet is a diagnostic, not the end.
    private func feed(_ decoder: StreamDecoder, _ packet: UnsafeMutablePointer<AVPacket>?,
                      _ body: (UnsafeMutablePointer<AVFrame>) throws(FFmpegError) -> Void) throws(FFmpegError) {
        func receiveAll() throws(FFmpegError) { try decoder.receiveFrames(into: &diagnostics, body) }
        do {
            while try !decoder.send(packet) { try receiveAll() }
        } catch {
            diagnostics.append(Diagnostic(code: "frame-skipped", stage: .decode, message: "a packet was refused: \(error)"))
        }
        try receiveAll()
    }

    private func encodeVideo(_ frame: UnsafeMutablePointer<AVFrame>) throws(FFmpegError) {
        guard let encoder = videoEncoder else { return }
        if modelGrid {
            // Frames come out of the decoder in presentation order: the n-th is source frame n.
            let index = framesDecoded
            framesDecoded += 1
            while nextModelFrame < modelFrames.count && modelFrames[nextModelFrame] < index { nextModelFrame += 1 }
            guard nextModelFrame < modelFrames.count, modelFrames[nextModelFrame] == index else { return }
            let k = framesWritten
            nextModelFrame += 1
            lastSeconds = Double(k) / (plan.modelRate?.fps ?? 2)
            try scaleAndEncode(frame, pts: Int64(k), encoder: encoder)
            return
        }
        var pts = frame.pointee.best_effort_timestamp == KIMI_AV_NOPTS_VALUE ? frame.pointee.pts : frame.pointee.best_effort_timestamp
        if pts == KIMI_AV_NOPTS_VALUE || pts <= lastPTS {
            // Missing or repeated timestamps: one frame duration on from the last.
            let step = max(1, kimi_av_rescale_q(1, AVRational(num: encoder.pointee.framerate.den, den: max(1, encoder.pointee.framerate.num)),
                                                encoder.pointee.time_base))
            pts = lastPTS == Int64.min ? 0 : lastPTS + step
        }
        if let seconds = seconds(pts, inVideo), !keepFrame(seconds) { return }
        lastPTS = pts
        let shifted = pts - offset(in: inVideo.pointee.time_base)
        if let seconds = seconds(pts, inVideo) { lastSeconds = max(lastSeconds, seconds) }
        try scaleAndEncode(frame, pts: shifted, encoder: encoder)
    }

    /// Scales a decoded frame to the output size and hands it to the encoder at `pts` (the encoder's time base).
    private func scaleAndEncode(_ frame: UnsafeMutablePointer<AVFrame>, pts shifted: Int64,
                                encoder: UnsafeMutablePointer<AVCodecContext>) throws(FFmpegError) {
        guard let scaler = scaler.context(from: frame.pointee.width, frame.pointee.height, AVPixelFormat(rawValue: frame.pointee.format),
                                          to: Int32(plan.width), Int32(plan.height)) else {
            throw FFmpegError(KIMI_AVERROR_INVALIDDATA, "sws_getCachedContext")
        }
        try FFmpegError.check(kimi_av_frame_make_writable(scaled), "av_frame_make_writable")
        let rows = withUnsafePointer(to: &frame.pointee.data) { source in
            withUnsafePointer(to: &frame.pointee.linesize) { sourceStrides in
                withUnsafePointer(to: &scaled.pointee.data) { target in
                    withUnsafePointer(to: &scaled.pointee.linesize) { targetStrides in
                        kimi_sws_scale(scaler,
                                       UnsafeRawPointer(source).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                                       UnsafeRawPointer(sourceStrides).assumingMemoryBound(to: Int32.self), 0, frame.pointee.height,
                                       UnsafeRawPointer(target).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                                       UnsafeRawPointer(targetStrides).assumingMemoryBound(to: Int32.self))
                    }
                }
            }
        }
        guard rows > 0 else { throw FFmpegError(rows < 0 ? rows : KIMI_AVERROR_INVALIDDATA, "sws_scale") }
        scaled.pointee.pts = shifted
        scaled.pointee.pict_type = AV_PICTURE_TYPE_NONE
        framesWritten += 1
        try drain(encoder, scaled, to: outVideo)
    }

    /// Decoded audio goes into the resampler's buffer; whole AAC frames come out of it.
    private func encodeAudio(_ frame: UnsafeMutablePointer<AVFrame>?, flushing: Bool) throws(FFmpegError) {
        guard let encoder = audioEncoder, let outAudio else { return }
        if let frame {
            let pushed = withUnsafePointer(to: &frame.pointee.data) { data in
                kimi_swr_convert(resampler.context, nil, 0, UnsafeMutableRawPointer(mutating: data).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                                 frame.pointee.nb_samples)
            }
            try FFmpegError.check(pushed, "swr_convert")
        }
        let size = encoder.pointee.frame_size > 0 ? encoder.pointee.frame_size : 1024
        while true {
            let available = kimi_swr_get_out_samples(resampler.context, 0)
            guard available >= size || (flushing && available > 0) else { break }
            let owned = try OwnedFrame()
            let out = owned.pointer
            out.pointee.nb_samples = size
            out.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
            out.pointee.sample_rate = encoder.pointee.sample_rate
            try FFmpegError.check(kimi_av_channel_layout_copy(&out.pointee.ch_layout, &encoder.pointee.ch_layout), "av_channel_layout_copy")
            try FFmpegError.check(kimi_av_frame_get_buffer(out, 0), "av_frame_get_buffer")
            let got = withUnsafeMutablePointer(to: &out.pointee.data) { data in
                kimi_swr_convert(resampler.context, UnsafeMutableRawPointer(data).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                                 size, nil, 0)
            }
            try FFmpegError.check(got, "swr_convert")
            guard got > 0 else { break }
            out.pointee.nb_samples = got
            out.pointee.pts = audioSamples
            audioSamples += Int64(got)
            try drain(encoder, out, to: outAudio)
        }
        if flushing { try drain(encoder, nil, to: outAudio) }
    }

    /// Sends `frame` (nil: end of stream) to `encoder` and writes every packet it gives back.
    private func drain(_ encoder: UnsafeMutablePointer<AVCodecContext>, _ frame: UnsafeMutablePointer<AVFrame>?,
                       to stream: UnsafeMutablePointer<AVStream>) throws(FFmpegError) {
        try FFmpegError.check(kimi_avcodec_send_frame(encoder, frame), "avcodec_send_frame")
        while true {
            let status = kimi_avcodec_receive_packet(encoder, outPacket)
            if status == KIMI_AVERROR_EAGAIN || status == KIMI_AVERROR_EOF { return }
            try FFmpegError.check(status, "avcodec_receive_packet")
            try write(outPacket, from: encoder.pointee.time_base, to: stream)
        }
    }

    private func write(_ packet: UnsafeMutablePointer<AVPacket>, from timeBase: AVRational,
                       to stream: UnsafeMutablePointer<AVStream>) throws(FFmpegError) {
        packet.pointee.stream_index = stream.pointee.index
        packet.pointee.pos = -1
        kimi_av_packet_rescale_ts(packet, timeBase, stream.pointee.time_base)
        try FFmpegError.check(kimi_av_interleaved_write_frame(output, packet), "av_interleaved_write_frame")
    }
}
