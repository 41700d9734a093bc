import CFFmpegLoader
import MediaCore

/// One extraction's reading: packets read from an ``OpenedVideo``, chosen by the plan (keyframes,
/// reached by a seek where the container indexes them, or the `model` and `every:` targets, with
/// ``PacketPolicy`` deciding which packets are decoded, discarded undecoded, or held back in a
/// ``GroupTail``), decoded on one decoder or several (``ParallelKeyDecoder``), and each frame wanted
/// handed to the ``FrameExtractor/FrameEncoder``, whose finished frames go to `deliver` in order.
/// Not `Sendable`: it runs on the calling thread from start to end.
final class FrameRun {
    private let video: OpenedVideo
    private let path: String
    private let plan: VideoPlan
    private let sink: FrameExtractor.FrameEncoder
    private let deliver: (ExtractedFrame) throws(MediaError) -> Void
    /// The frames `model` and `every:` want, by index; `nil`: keyframes.
    private let targets: [Int]?
    private var policy: PacketPolicy
    private var thinning: FrameThinning
    private let converter = FrameConverter()
    private var keySeeks: KeySeeks?
    /// The decode time of the last key a seek took: after a seek landed elsewhere and reading
    /// restarted from the top, the packets up to it are skipped.
    private var seekTaken: Int64?
    /// The packets after a group's last target so far: held back, decoded if a later target
    /// comes, dropped at a key that closes the group.
    private var tail: GroupTail?
    /// The read buffer: the decoder's own, unless decoders on other threads own the decoder.
    private let readBuffer: OwnedPacket?
    private var diagnostics: [Diagnostic] = []
    /// Frames handed to the encoder so far.
    private var index = 0
    /// The parallel decoders' results, taken in packet order (`taken` of `sent`).
    private var sent = 0, taken = 0

    init(_ video: OpenedVideo, path: String, info: MediaInfo, plan: VideoPlan, sink: FrameExtractor.FrameEncoder,
         deliver: @escaping (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) {
        self.video = video
        self.path = path
        self.plan = plan
        self.sink = sink
        self.deliver = deliver
        do throws(TargetFramesError) { targets = try plan.targetFrames() } catch {
            throw MediaError(.invalidOptions, path: path, stage: .plan, error.message)
        }
        let stream = video.stream
        policy = PacketPolicy(stream: stream, targets: targets)
        thinning = FrameThinning(plan: plan)
        // Keyframes: demuxers that know their index (MKV/WebM, AVI, …) then skip the other packets'
        // bytes instead of reading them: the way below both ffmpeg forms. Not the MP4 family: FFmpeg
        // 5.1's mov demuxer then takes each key packet's composition offset from the wrong sample
        // (its `ctts` index moves once per packet read, not per sample), so with B-frames a keyframe
        // at 1.0 s read as 1.12 s (`ffmpeg -discard nokey … -f framecrc` shows the same); there the
        // packets are read and the non-key ones dropped below, unsent. The key-flag check stays, for
        // demuxers that ignore `discard`.
        // There, when the index lists every sample, each keyframe is reached by a seek to its index
        // entry instead (the seek sets the composition offsets right): only the key packets' bytes
        // are read — 10 of a 4K clip's 600 packets, 11 MB of its 156 MB.
        let discardKeepsTimes = ![.mp4, .mov, .threeGP].contains(info.format)
        video.demuxer.discardAll(except: [stream.pointee.index],
                                 keeping: targets == nil && discardKeepsTimes ? AVDISCARD_NONKEY : AVDISCARD_DEFAULT)
        keySeeks = targets == nil && !discardKeepsTimes ? KeySeeks(stream: stream) : nil
        do { readBuffer = video.parallel == nil ? nil : try OwnedPacket() } catch {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "out of memory for a packet")
        }
        tail = policy.holdsPackets ? ClosedKeyframe.Syntax(stream.pointee.codecpar).map(GroupTail.init) : nil
        policy.holding = tail != nil
    }

    /// Drops the packets still held back (the run ended before they were needed).
    func dropHeld() { tail?.drop() }

    /// Reads the packets to the end (or the last target), then drains the decoders and the encoder.
    func run() throws(MediaError) -> [Diagnostic] {
        let decoder = video.decoder, demuxer = video.demuxer, stream = video.stream
        let packet = readBuffer?.pointer ?? decoder.packet
        reading: while true {
            if keySeeks != nil, !keySeeks!.seekNext(demuxer.context, stream: stream) {
                if keySeeks!.done { break }
                keySeeks = nil  // a seek refused: the packets after the last key taken are read in turn
            }
            let status = kimi_av_read_frame(demuxer.context, packet)
            if status == KIMI_AVERROR_EOF { break }
            if status < 0 {
                diagnostics.append(Diagnostic(code: "damaged", stage: .decode,
                                              message: "reading stopped after \(counted(index, "frame")): \(FFmpegError(status, "av_read_frame"))"))
                break
            }
            defer { kimi_av_packet_unref(packet) }
            guard packet.pointee.stream_index == stream.pointee.index else { continue }
            let key = packet.pointee.flags & KIMI_AV_PKT_FLAG_KEY != 0
            if var seeks = keySeeks {
                // The packet a seek lands on must be the keyframe the index named; otherwise read on.
                guard seeks.landed(on: packet, key: key) else {
                    // Read on from the start instead, past the keys already taken.
                    seeks.rewind(demuxer.context, stream: stream)
                    keySeeks = nil
                    continue
                }
                keySeeks = seeks
                seekTaken = packet.pointee.dts
            } else if let taken = seekTaken, packet.pointee.dts != KIMI_AV_NOPTS_VALUE, packet.pointee.dts <= taken {
                continue  // taken by a seek before seeking was given up
            }
            let stamp = packet.pointee.pts != KIMI_AV_NOPTS_VALUE ? packet.pointee.pts : packet.pointee.dts
            if targets == nil {
                // Thinning decides on the packet's own timestamp, so dropped keyframes are never decoded.
                guard key else { continue }
                if let seconds = policy.seconds(stamp), !thinning.keep(seconds) { continue }
            } else {
                switch policy.decide(pts: packet.pointee.pts, dts: stamp, key: key, closes: tail?.closes(packet) ?? false) {
                case .skip:
                    tail?.drop()  // the group after them is not decoded either
                    continue
                case .finished: break reading
                case .discard: continue
                case .hold:
                    if tail?.hold(packet) == true { continue }
                    try sendHeld()  // the limit is reached: decoded after all
                    decoder.context.pointee.skip_frame = AVDISCARD_NONREF
                case .decode(let required, let held):
                    if held == .drop { tail?.drop() } else { try sendHeld() }
                    decoder.context.pointee.skip_frame = required ? AVDISCARD_DEFAULT : AVDISCARD_NONREF
                }
            }
            if let pool = video.parallel {
                guard let owned = OwnedPacket(cloning: packet) else {
                    throw MediaError(.decodeFailed, path: path, stage: .decode, "out of memory for a packet")
                }
                pool.submit(owned, sequence: sent)
                sent += 1
                try emitParallel(pool, waiting: false)
                continue
            }
            try decode(packet)
        }
        if let pool = video.parallel {
            try emitParallel(pool, waiting: true)
            try emitAll(pool.finish())
        } else {
            decoder.context.pointee.skip_frame = AVDISCARD_DEFAULT
            _ = try? decoder.send(nil)  // drain the frames still in the decoder
            try emitDecodedFrames()
        }
        sink.wait()
        for done in try sink.finished() { try deliver(done) }
        if sink.duplicates > 0 {
            diagnostics.append(Diagnostic(code: "frames-deduplicated", stage: .decode,
                                          message: "\(counted(sink.duplicates, "near-duplicate frame")) dropped (within \(plan.dedupe ?? 0) levels of the last kept)"))
        }
        if index == 0 { throw MediaError(.decodeFailed, path: path, stage: .decode, "no \(targets == nil ? "keyframe" : "frame") could be decoded") }
        return diagnostics
    }

    /// Hands a decoded frame (a reference of its own) to the encoder if it is wanted; one that is
    /// not goes with its owner. Finished frames go on to `deliver`.
    private func emit(_ owned: OwnedFrame) throws(MediaError) {
        let reference = owned.frame
        let pts = reference.pointee.best_effort_timestamp == KIMI_AV_NOPTS_VALUE ? reference.pointee.pts
            : reference.pointee.best_effort_timestamp
        let seconds = policy.seconds(pts) ?? 0
        guard policy.wantsFrame(pts: pts), targets == nil || thinning.keep(seconds) else { return }
        sink.submit(owned, index: index, seconds: seconds, keyframe: reference.pointee.key_frame != 0, plan: plan, path: path,
                    converter: converter)
        index += 1
        for done in try sink.finished() { try deliver(done) }
    }

    /// The frames the (single) decoder has ready, each a reference of its own, emitted.
    private func emitDecodedFrames() throws(MediaError) {
        var found: [Diagnostic] = []
        defer { diagnostics += found }
        try video.decoder.receiveFrames(into: &found) { frame throws(MediaError) in
            guard let owned = OwnedFrame(cloning: frame) else {
                throw MediaError(.decodeFailed, path: path, stage: .decode, "out of memory for a frame")
            }
            try emit(owned)
        }
    }

    /// Sends a packet to the (single) decoder and hands on the frames it gives.
    private func decode(_ packet: UnsafeMutablePointer<AVPacket>) throws(MediaError) {
        do {
            while try !video.decoder.send(packet) { try emitDecodedFrames() }
        } catch let error as FFmpegError {
            diagnostics.append(Diagnostic(code: "frame-skipped", stage: .decode, message: "a packet was refused: \(error)"))
            if targets == nil { video.decoder.reset() }
            return
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "\(error)")
        }
        try emitDecodedFrames()
    }

    /// Decodes the packets held back (a later packet of their group is a target, or the key after
    /// them does not close it), as packets that are not targets.
    private func sendHeld() throws(MediaError) {
        guard let held = tail?.take(), !held.isEmpty else { return }
        video.decoder.context.pointee.skip_frame = AVDISCARD_NONREF
        for packet in held { try decode(packet.pointer) }
    }

    /// The parallel decoders' results in packet order: those done (or, `waiting`, all of them).
    private func emitParallel(_ pool: ParallelKeyDecoder, waiting: Bool) throws(MediaError) {
        while taken < sent, let result = pool.result(taken, wait: waiting) {
            taken += 1
            try emitAll(result)
        }
    }

    private func emitAll(_ result: ParallelKeyDecoder.Result) throws(MediaError) {
        diagnostics += result.diagnostics
        for frame in result.frames { try emit(frame) }  // those not handed on go with their owners
    }
}
