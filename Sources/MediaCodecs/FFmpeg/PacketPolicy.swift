import CFFmpegLoader
import Dispatch
import MediaCore

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
