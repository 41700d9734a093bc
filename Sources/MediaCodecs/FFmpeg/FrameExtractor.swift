import CFFmpegLoader
import Dispatch
import MediaCore

/// One frame taken from a video, encoded.
public struct ExtractedFrame: Sendable {
    public var index: Int
    public var timestampSeconds: Double
    public var keyframe: Bool
    public var image: EncodedImage
}

/// Takes frames out of a video as a ``VideoPlan`` says and hands each one, encoded, to `onFrame` as
/// soon as it exists: a few frames in flight whatever the video's length.
public enum FrameExtractor {
    /// Keyframes: the demuxer's packets are read in order and only those flagged
    /// `AV_PKT_FLAG_KEY` are sent to the decoder, as one stream of independent pictures (frame
    /// threads decode several at once), so no other frame is ever decoded (`skip_frame` alone is not
    /// enough: the VP9 and AV1 decoders ignore it). Streams that cannot continue after a skipped
    /// stretch are recovered by resetting the decoder on a refused packet.
    /// Damage after the start is a diagnostic; the frames before it are kept.
    /// `threads`: decoder threads (1 when files already run in parallel, one per core).
    public static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int = 1,
                               onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        // Small frames convert and encode in a fraction of a millisecond, less than handing them
        // between threads costs: one encoder thread (an hour of 320×180, 1,800 keyframes, on tmpfs:
        // 0.76 s with two, 0.69 s with one).
        let small = isSmall(width: info.storedWidth, height: info.storedHeight)
        return try extract(path: path, info: info, plan: plan, limits: limits, threads: threads, encoderThreads: small ? 1 : threads,
                           onFrame: onFrame)
    }

    /// The same, with `encoderThreads` frames converted and encoded at once whatever their size
    /// (the tests' small fixtures run the encoder threads this way).
    static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int, encoderThreads: Int,
                        onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        if plan.frames == .none { return [] }
        let sink = FrameEncoder(width: encoderThreads, dedupe: plan.dedupe)
        defer { sink.wait() }  // never leave the encoder running past this call
        return try extract(path: path, info: info, plan: plan, limits: limits, threads: threads, sink: sink, onFrame: onFrame)
    }

    /// Frames under 640×360: too quick to decode or encode to be worth handing between threads.
    static func isSmall(width: Int, height: Int) -> Bool { width * height < 640 * 360 }

    /// Converts and encodes frames beside the decode loop (JPEG encoding was that loop's critical
    /// path: ~10 ms a 1080p frame), on `width` threads at once, with at most `width + 1` frames
    /// queued. Finished frames are handed back to the decode loop's thread in the order they were
    /// submitted, so `onFrame` only ever runs there and sees them in order.
    /// More than one thread: a video's last frames, and turned frames (converted, turned and
    /// encoded: ~10 ms each, more than a keyframe's decode on the other threads), no longer wait
    /// for one encoder while the other cores idle. `--dedupe` compares each frame with the last
    /// one kept, so it runs on one thread.
    final class FrameEncoder: @unchecked Sendable {
        private let queue: DispatchQueue
        private let slots: DispatchSemaphore
        private let group = DispatchGroup()
        private let results = Locked(Results())
        /// Compressors not in use; a thread takes one (or makes one) per frame.
        private let encoders = Locked<[JPEGCodec.Encoder]>([])
        private let dedupe: Double?
        private var lastKept: [UInt8]?  // the signature of the last frame kept (`--dedupe`, one thread), on `queue` only
        /// Submissions so far: the order frames are handed back in (the decode loop's thread only).
        private var submitted = 0
        /// Frames dropped as near-duplicates (`--dedupe`: one thread, on `queue`); read after ``wait()``.
        private(set) var duplicates = 0

        /// Encoded frames by submission, handed back in order: `nil` for a dropped duplicate.
        struct Results {
            var pending: [Int: ExtractedFrame?] = [:]
            var next = 0
            var ready: [ExtractedFrame] = []
            var error: MediaError?

            mutating func complete(_ sequence: Int, _ frame: ExtractedFrame?) {
                pending[sequence] = .some(frame)
                while let entry = pending.removeValue(forKey: next) {
                    if let frame = entry { ready.append(frame) }
                    next += 1
                }
            }
        }

        /// `width`: frames converted and encoded at once (capped at 4: each one in flight holds a
        /// decoded frame); `dedupe`: the plan's threshold, which makes it one.
        init(width: Int, dedupe: Double?) {
            let width = dedupe == nil ? Swift.min(Swift.max(width, 1), 4) : 1
            self.dedupe = dedupe
            queue = DispatchQueue(label: "kimi-media.frame-encoder", attributes: width > 1 ? .concurrent : [])
            slots = DispatchSemaphore(value: width + 1)
        }

        /// Queues a decoded frame (a reference of its own) for conversion and encoding; blocks
        /// while the queue is full. Converting here rather than on the decode loop keeps the
        /// decoder's frame threads fed (a 4K→1080p Lanczos scale is ~20 ms).
        func submit(_ owned: OwnedFrame, index: Int, seconds: Double, keyframe: Bool, plan: VideoPlan, path: String,
                    converter: FrameConverter) {
            slots.wait()
            let sequence = submitted
            submitted += 1
            queue.async(group: group) { [self] in
                defer { slots.signal() }
                do throws(MediaError) {
                    var image: PixelImage
                    do throws(FFmpegError) {
                        image = try converter.convert(owned.frame, width: plan.resizeWidth, height: plan.resizeHeight,
                                                      orientation: plan.orientation)
                    } catch {
                        throw error.mediaError(path: path, stage: .decode, "cannot convert a frame")
                    }
                    owned.free()
                    if let threshold = dedupe {
                        let signature = FrameSignature.of(image)
                        if let last = lastKept, FrameSignature.distance(signature, last) <= threshold {
                            duplicates += 1
                            converter.recycle(image)
                            results.withLock { $0.complete(sequence, nil) }
                            return
                        }
                        lastKept = signature
                    }
                    let encoder: JPEGCodec.Encoder
                    if let idle = encoders.withLock({ $0.popLast() }) { encoder = idle } else { encoder = try JPEGCodec.Encoder(path: path) }
                    defer { encoders.withLock { $0.append(encoder) } }
                    let bytes = try encoder.encode(image, quality: plan.quality)
                    converter.recycle(image)
                    let frame = ExtractedFrame(
                        index: index, timestampSeconds: seconds, keyframe: keyframe,
                        image: EncodedImage(bytes: bytes, format: .jpeg, width: plan.width, height: plan.height,
                                            passthrough: false, diagnostics: []))
                    results.withLock { $0.complete(sequence, frame) }
                } catch {
                    owned.free()
                    results.withLock { $0.error = $0.error ?? error }
                }
            }
        }

        /// Frames encoded so far, in submission order (up to the first still being encoded);
        /// throws the encoder's first error.
        func finished() throws(MediaError) -> [ExtractedFrame] {
            let (frames, error) = results.withLock { state in
                defer { state.ready = [] }
                return (state.ready, state.error)
            }
            if let error { throw error }
            return frames
        }

        func wait() { group.wait() }
    }

    private static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int,
                                sink: FrameEncoder, onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        func failure(_ message: String, _ cause: FFmpegError) -> MediaError { cause.mediaError(path: path, stage: .decode, message) }
        guard info.kind == .video else {
            throw MediaError(.unsupportedFormat, path: path, stage: .decode, "\(info.format.rawValue) is not a video container")
        }
        let name = VideoProbe.demuxerName(info.format)
        let demuxer: Demuxer
        let decoder: StreamDecoder
        var parallel: ParallelKeyDecoder?
        let stream: UnsafeMutablePointer<AVStream>
        do {
            // Keyframes from MP4/MOV/3GP or Matroska/WebM: their headers carry the codec parameters
            // (the probe already checked them), so the stream-info pass is skipped; `model` and
            // `every:` need its frame-rate analysis.
            // Other Matroska files may hold any codec, whose parameters the headers may not carry.
            let headersSuffice = plan.frames == .keyframes && [.mp4, .mov, .threeGP, .webm].contains(info.format)
            demuxer = try Demuxer(path: path, formatName: name, limits: limits, analyze: !headersSuffice)
            guard let video = demuxer.videoStream else {
                throw MediaError(.unsupportedFormat, path: path, stage: .decode, "has no video stream")
            }
            stream = video
            // Keyframes with cores to spare: single-threaded decoders side by side (``ParallelKeyDecoder``).
            // Small frames decode in a fraction of a millisecond, less than handing them between
            // threads costs: one decoder on one thread (an hour of 320×180, 1,800 keyframes: 1.9 →
            // 1.1 s, most of it the frames' files).
            let small = isSmall(width: Int(stream.pointee.codecpar.pointee.width), height: Int(stream.pointee.codecpar.pointee.height))
            if plan.frames == .keyframes, threads > 1, !small, let first = try? StreamDecoder(stream: stream, threads: 1) {
                decoder = first
                parallel = try ParallelKeyDecoder(decoders: [first] + (1..<threads).map { _ throws(FFmpegError) in
                    try StreamDecoder(stream: stream, threads: 1)
                })
            } else {
                decoder = try StreamDecoder(stream: stream, threads: small ? 1 : threads)
            }
        } catch let error as FFmpegError {
            throw failure("cannot open the video", error)
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot open the video")
        }
        demuxer.clearDeadline()
        let targets: [Int]?
        do throws(TargetFramesError) { targets = try plan.targetFrames() } catch {
            throw MediaError(.invalidOptions, path: path, stage: .plan, error.message)
        }
        var policy = PacketPolicy(stream: stream, targets: targets)
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
        demuxer.discardAll(except: [stream.pointee.index],
                           keeping: targets == nil && discardKeepsTimes ? AVDISCARD_NONKEY : AVDISCARD_DEFAULT)
        var keySeeks = targets == nil && !discardKeepsTimes ? KeySeeks(stream: stream) : nil
        let converter = FrameConverter()
        var diagnostics: [Diagnostic] = []
        var index = 0
        var thinning = FrameThinning(plan: plan)
        // The read buffer: the decoder's own, unless decoders on other threads own the decoder.
        let readBuffer: OwnedPacket?
        do { readBuffer = parallel == nil ? nil : try OwnedPacket() } catch {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "out of memory for a packet")
        }
        let packet = readBuffer?.pointer ?? decoder.packet
        defer { withExtendedLifetime(readBuffer) {} }  // `packet` is its memory: alive to the end, not to its last mention
        /// The decode time of the last key a seek took: after a seek landed elsewhere and reading
        /// restarted from the top, the packets up to it are skipped.
        var seekTaken: Int64?
        defer { parallel?.shutdown() }  // after a failure too: its threads end, its frames are freed
        // The packets after a group's last target so far: held back, decoded if a later target
        // comes, dropped at a key that closes the group.
        var tail = policy.holdsPackets ? ClosedKeyframe.Syntax(stream.pointee.codecpar).map(GroupTail.init) : nil
        defer { tail?.drop() }
        policy.holding = tail != nil

        /// Hands a decoded frame (a reference of its own) to the encoder if it is wanted; one that
        /// is not goes with its owner.
        func emit(_ owned: OwnedFrame) throws(MediaError) {
            let reference = owned.frame
            let pts = reference.pointee.best_effort_timestamp == KIMI_AV_NOPTS_VALUE ? reference.pointee.pts
                : reference.pointee.best_effort_timestamp
            let seconds = policy.seconds(pts) ?? 0
            guard policy.wantsFrame(pts: pts), targets == nil || thinning.keep(seconds) else { return }
            sink.submit(owned, index: index, seconds: seconds, keyframe: reference.pointee.key_frame != 0, plan: plan, path: path,
                        converter: converter)
            index += 1
            for done in try sink.finished() { try onFrame(done) }
        }

        func emitDecodedFrames() throws(MediaError) {
            try decoder.receiveFrames(into: &diagnostics) { frame throws(MediaError) in
                guard let owned = OwnedFrame(cloning: frame) else {
                    throw MediaError(.decodeFailed, path: path, stage: .decode, "out of memory for a frame")
                }
                try emit(owned)
            }
        }

        /// Sends a packet to the (single) decoder and hands on the frames it gives.
        func decode(_ packet: UnsafeMutablePointer<AVPacket>) throws(MediaError) {
            do {
                while try !decoder.send(packet) { try emitDecodedFrames() }
            } catch let error as FFmpegError {
                diagnostics.append(Diagnostic(code: "frame-skipped", stage: .decode, message: "a packet was refused: \(error)"))
                if targets == nil { decoder.reset() }
                return
            } catch let error as MediaError {
                throw error
            } catch {
                throw MediaError(.decodeFailed, path: path, stage: .decode, "\(error)")
            }
            try emitDecodedFrames()
        }

        /// Decodes the packets held back (a later packet of their group is a target, or the key
        /// after them does not close it), as packets that are not targets.
        func sendHeld() throws(MediaError) {
            guard let held = tail?.take(), !held.isEmpty else { return }
            decoder.context.pointee.skip_frame = AVDISCARD_NONREF
            for packet in held { try decode(packet.pointer) }
        }

        // The parallel decoders' results, taken in packet order (`taken` of `sent`).
        var sent = 0, taken = 0
        func emitParallel(_ pool: ParallelKeyDecoder, waiting: Bool) throws(MediaError) {
            while taken < sent, let result = pool.result(taken, wait: waiting) {
                taken += 1
                try emitAll(result)
            }
        }
        func emitAll(_ result: ParallelKeyDecoder.Result) throws(MediaError) {
            diagnostics += result.diagnostics
            for frame in result.frames { try emit(frame) }  // those not handed on go with their owners
        }

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
            if let pool = parallel {
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
        if let pool = parallel {
            try emitParallel(pool, waiting: true)
            try emitAll(pool.finish())
        } else {
            decoder.context.pointee.skip_frame = AVDISCARD_DEFAULT
            _ = try? decoder.send(nil)  // drain the frames still in the decoder
            try emitDecodedFrames()
        }
        sink.wait()
        for done in try sink.finished() { try onFrame(done) }
        if sink.duplicates > 0 {
            diagnostics.append(Diagnostic(code: "frames-deduplicated", stage: .decode,
                                          message: "\(counted(sink.duplicates, "near-duplicate frame")) dropped (within \(plan.dedupe ?? 0) levels of the last kept)"))
        }
        if index == 0 { throw MediaError(.decodeFailed, path: path, stage: .decode, "no \(targets == nil ? "keyframe" : "frame") could be decoded") }
        return diagnostics
    }
}

/// Keyframes of an MP4/MOV/3GP stream reached by seeking: the index's keyframe entries (when it
/// lists every sample: a fragmented file's may not), each sought with `av_seek_frame` to its
/// timestamp, so the demuxer reads that packet and skips the bytes between. A seek that fails ends
/// the seeking (the caller reads on from after the last key it took); one that lands on another
/// packet too, and the caller reads from the start, skipping the keys it already has.
struct KeySeeks {
    private var timestamps: [Int64] = []
    private var next = 0
    /// Every keyframe was sought.
    var done: Bool { next >= timestamps.count }

    init?(stream: UnsafeMutablePointer<AVStream>) {
        let count = Int(kimi_avformat_index_get_entries_count(stream))
        guard count > 0, count == Int(stream.pointee.nb_frames) else { return nil }
        for i in 0..<count {
            guard let entry = kimi_avformat_index_get_entry(stream, Int32(i)) else { return nil }
            if entry.pointee.flags & KIMI_AVINDEX_KEYFRAME != 0 { timestamps.append(entry.pointee.timestamp) }
        }
        guard !timestamps.isEmpty, zip(timestamps, timestamps.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
    }

    /// Seeks to the next keyframe; `false` when none is left or the seek failed. The mov demuxer
    /// takes a seek's timestamp as a presentation time and moves it back by the stream's
    /// composition shift before it searches the decode times the index holds: a search forward from
    /// the key's own decode time finds that key (backward, it found the one before).
    mutating func seekNext(_ context: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>) -> Bool {
        guard !done else { return false }
        let status = kimi_av_seek_frame(context, stream.pointee.index, timestamps[next], 0)
        guard status >= 0 else {
            timestamps = []
            next = 0
            return false
        }
        next += 1
        return true
    }

    /// Back to the first keyframe (a backward search from before every sample finds the first).
    func rewind(_ context: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>) {
        guard let first = timestamps.first else { return }
        _ = kimi_av_seek_frame(context, stream.pointee.index, first, KIMI_AVSEEK_FLAG_BACKWARD)
    }

    /// Whether the packet read after the last seek is the keyframe sought.
    func landed(on packet: UnsafeMutablePointer<AVPacket>, key: Bool) -> Bool {
        key && next > 0 && packet.pointee.dts == timestamps[next - 1]
    }
}

/// Packets of a group of pictures held back since its last target (`model`, `every:`): decoded
/// before the next target, or dropped undecoded at a keyframe that closes the group
/// (``PacketPolicy/decide(pts:dts:key:closes:)``). A 2 s group sampled at 2 frames a second has
/// its last 14 of 60 frames after its last target; reference frames among them were decoded.
struct GroupTail {
    let syntax: ClosedKeyframe.Syntax
    private var packets: [OwnedPacket] = []
    private var bytes = 0
    /// Held bytes at most (a long 4K group); past them the packets are decoded.
    static let limit = 64 << 20

    init(syntax: ClosedKeyframe.Syntax) { self.syntax = syntax }

    /// Holds a new reference to `packet`; `false` when the limit is reached (or memory is short).
    mutating func hold(_ packet: UnsafeMutablePointer<AVPacket>) -> Bool {
        guard bytes + Int(packet.pointee.size) <= Self.limit, let reference = OwnedPacket(cloning: packet) else { return false }
        packets.append(reference)
        bytes += Int(packet.pointee.size)
        return true
    }

    /// The packets held, in order, handed over with their owners.
    mutating func take() -> [OwnedPacket] {
        defer { packets = []; bytes = 0 }
        return packets
    }

    /// Drops the packets held, undecoded.
    mutating func drop() { _ = take() }

    func closes(_ key: UnsafeMutablePointer<AVPacket>) -> Bool {
        guard let data = key.pointee.data, key.pointee.size > 0 else { return false }
        return ClosedKeyframe.closes(UnsafeRawBufferPointer(start: data, count: Int(key.pointee.size)), syntax)
    }
}

/// Which packets of the video stream `model` and `every:` decode, and which decoded frames they keep.
///
/// Constant frame rate (the stream's `r_frame_rate` equals its average): a frame's index is its
/// timestamp × rate, known from the packet before decoding, so
/// - a packet that is not a target is sent with `skip_frame = AVDISCARD_NONREF` (the decoder
///   drops it undecoded when nothing refers to it; decoders that ignore the setting decode it),
/// - a whole GOP with no target is not sent at all (the next keyframe's position comes from the
///   demuxer's index, with a margin for B-frame reordering),
/// - reading stops at the first keyframe after the last target.
/// Variable frame rate: every frame is decoded and counted in presentation order, as the model does.
struct PacketPolicy {
    /// What becomes of the packets held back before a packet that is decoded (``GroupTail``).
    enum Held { case send, drop }
    /// `discard`: this packet alone is not decoded (a leading picture no target needs).
    enum Decision { case skip, finished, hold, discard, decode(required: Bool, held: Held) }

    /// Frames of reordering allowed for between a packet's decode and display positions.
    private let margin: Int
    private let selecting: Bool
    private let targets: [Int]
    private var remaining: Set<Int>
    private let start: Int64
    private let timeBase: Double
    private let rate: Double?
    /// Keyframe positions (frame indices from the index's timestamps), sorted.
    private var keyIndices: [Int] = []
    private var skippingGOP = false
    private var counted = 0
    /// Targets whose packets were sent, and where the group being read starts (frame index).
    private var sentTargets = Set<Int>()
    private var groupStart = 0
    /// The frame index of the last keyframe whose group was closed with no target among its
    /// leading pictures: packets shown before it that come after it are not decoded.
    private var leadingBefore: Int?

    /// Whether packets that are not targets may be held back (``GroupTail``): frames are known
    /// by index before they are decoded.
    var holdsPackets: Bool { rate != nil && selecting }
    /// Set when they are (the stream's keyframes can be told closed): ``decide`` then says
    /// `.hold` for a packet that is not a target, and whether a decoded packet's held ones go first.
    var holding = false

    init(stream: UnsafeMutablePointer<AVStream>, targets: [Int]?) {
        selecting = targets != nil
        self.targets = targets ?? []
        remaining = Set(targets ?? [])
        start = stream.pointee.start_time == KIMI_AV_NOPTS_VALUE ? 0 : stream.pointee.start_time
        timeBase = av_q2d(stream.pointee.time_base)
        margin = Int(stream.pointee.codecpar.pointee.video_delay) + 16
        let r = stream.pointee.r_frame_rate, a = stream.pointee.avg_frame_rate
        let constant = r.num > 0 && r.den > 0 && a.num > 0 && a.den > 0 && abs(av_q2d(r) / av_q2d(a) - 1) < 0.001
        rate = constant ? av_q2d(a) : nil
        guard rate != nil, selecting else { return }
        for i in 0..<kimi_avformat_index_get_entries_count(stream) {
            guard let entry = kimi_avformat_index_get_entry(stream, i), entry.pointee.flags & KIMI_AVINDEX_KEYFRAME != 0,
                  let index = frameIndex(entry.pointee.timestamp) else { continue }
            keyIndices.append(index)
        }
        keyIndices.sort()
    }

    func seconds(_ stamp: Int64) -> Double? {
        stamp == KIMI_AV_NOPTS_VALUE ? nil : max(0, Double(stamp - start) * timeBase)
    }

    private func frameIndex(_ stamp: Int64) -> Int? {
        guard let rate, let seconds = seconds(stamp) else { return nil }
        return Int((seconds * rate).rounded())
    }

    /// The first index in a sorted array not less than `value`.
    private static func lowerBound(_ array: [Int], _ value: Int) -> Int {
        var low = 0, high = array.count
        while low < high {
            let mid = (low + high) / 2
            if array[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// What to do with the next packet of the video stream, from its timestamps (and, for a
    /// keyframe while ``holding``, whether it `closes` its group).
    mutating func decide(pts: Int64, dts: Int64, key: Bool, closes: @autoclosure () -> Bool) -> Decision {
        guard rate != nil else { return .decode(required: true, held: .send) }
        if key, let index = frameIndex(dts) {
            let next = Self.lowerBound(targets, index - margin)
            guard next < targets.count else { return .finished }
            // Skip this GOP when its first target surely lies at or after the next keyframe.
            let nextKey = Self.lowerBound(keyIndices, index + 1)
            skippingGOP = nextKey < keyIndices.count && targets[next] >= keyIndices[nextKey] + margin
        }
        if skippingGOP { return .skip }
        guard let index = frameIndex(pts) else { return .decode(required: true, held: .send) }
        let required = remaining.contains(index)
        if required { sentTargets.insert(index) }
        guard holding else { return .decode(required: required, held: .send) }
        if key {
            let drops = dropsHeld(keyIndex: index, closed: closes())
            leadingBefore = drops ? index : nil
            return .decode(required: required, held: drops ? .drop : .send)
        }
        // A leading picture of a closing keyframe (HEVC's RADL, or a RASL after a BLA, which the
        // decoder drops itself): only other leading pictures refer to it, and none is a target.
        if let key = leadingBefore, index < key, !required { return .discard }
        return required ? .decode(required: true, held: .send) : .hold
    }

    /// At a keyframe about to be sent, whether the packets held back since the last target may be
    /// dropped undecoded: the keyframe closes its group (``ClosedKeyframe``), so nothing after it
    /// refers to them, and every target of the group it ends has been sent, so none before it does.
    /// The keyframe starts the next group.
    private mutating func dropsHeld(keyIndex index: Int, closed: Bool) -> Bool {
        defer { groupStart = index }
        guard closed, index >= groupStart else { return false }
        return targets[Self.lowerBound(targets, groupStart)..<Self.lowerBound(targets, index)].allSatisfy(sentTargets.contains)
    }

    /// Whether to keep a decoded frame: every one for keyframes; a target not yet taken otherwise
    /// (counting frames in presentation order when the rate is not constant).
    mutating func wantsFrame(pts: Int64) -> Bool {
        guard selecting else { return true }
        let index: Int?
        if rate == nil {
            index = counted
            counted += 1
        } else {
            index = frameIndex(pts)
        }
        guard let index else { return false }
        return remaining.remove(index) != nil
    }
}

extension ClosedKeyframe.Syntax {
    /// The stream's syntax, for the codecs whose keyframes can be told closed; `nil` for others.
    init?(_ parameters: UnsafeMutablePointer<AVCodecParameters>) {
        switch parameters.pointee.codec_id {
        case AV_CODEC_ID_H264: self.init(h264: parameters.pointee.extradataBytes)
        case AV_CODEC_ID_HEVC: self.init(hevc: parameters.pointee.extradataBytes)
        case AV_CODEC_ID_VP9: self = .vp9
        default: return nil
        }
    }
}
