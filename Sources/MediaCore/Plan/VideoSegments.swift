/// How a long video is split (`--segments`).
public enum SegmentRequest: Sendable, Hashable, CustomStringConvertible {
    /// Parts as long as the budget allows: each part's offline estimate within `--budget`, or
    /// within the context less ``VideoSegments/contextReserve`` without one.
    case auto
    /// Parts of this many seconds (the last one shorter).
    case every(seconds: Double)

    /// Parses `auto` or a duration: `90`, `90s`, `10m`, `1h`, `1h30m`, `2m30s`, `1.5h`.
    public init?(argument: String) {
        if argument == "auto" {
            self = .auto
            return
        }
        guard let seconds = Self.seconds(argument), seconds > 0, seconds.isFinite else { return nil }
        self = .every(seconds: seconds)
    }

    /// A duration in seconds from `90`, `90s`, `10m`, `1h30m` (units h, m, s; a bare number is seconds).
    static func seconds(_ text: String) -> Double? {
        if let plain = Double(text) { return plain }
        var total = 0.0, number = ""
        var units: [Character] = []
        for c in text {
            if c.isNumber || c == "." {
                number.append(c)
                continue
            }
            guard let value = Double(number), let scale: Double = ["h": 3600, "m": 60, "s": 1][c], !units.contains(c) else { return nil }
            total += value * scale
            units.append(c)
            number = ""
        }
        guard number.isEmpty, !units.isEmpty else { return nil }
        return total
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .every(let seconds): "\(seconds)s"
        }
    }
}

extension SegmentRequest: ArgumentCodable {}

/// One part of a split video: its time range in the source (seconds from the stream's start).
public struct VideoSegment: Sendable, Codable, Hashable {
    /// 1-based.
    public var index: Int
    public var startSeconds: Double
    public var endSeconds: Double
    /// Offline estimate of the part as planned (the written part's own count is in its output).
    public var tokens: Int

    public init(index: Int, startSeconds: Double, endSeconds: Double, tokens: Int) {
        self.index = index
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.tokens = tokens
    }

    public var durationSeconds: Double { endSeconds - startSeconds }
}

/// Where a long video is cut so that each part fits a token budget (pure: from the plan's rate,
/// size and duration, and the keyframe times when the parts are copied).
///
/// The part length is the longest whose offline estimate (``TokenEstimate/video(frames:fps:width:height:profile:)``)
/// is within the budget (`auto`), or the length asked for. Parts whose packets are copied start on
/// keyframes — each cut is the last keyframe no later than the part's length allows, so no part is
/// longer than planned; where a GOP is longer than a part, the parts cannot be copied and are
/// re-encoded, cut exactly at multiples of the length.
public struct VideoSegments: Sendable, Codable, Hashable {
    /// How the parts are made.
    public enum Cut: String, Sendable, Codable, Hashable {
        /// The packets are copied; every part starts on a keyframe.
        case keyframes
        /// The parts are re-encoded; cut exactly.
        case exact
    }

    public var request: SegmentRequest
    /// Each part's budget in tokens.
    public var budget: Int
    /// The longest part, in seconds.
    public var partSeconds: Double
    public var cut: Cut
    public var parts: [VideoSegment]

    /// The context kept free for the prompt's text and the answer when `--segments auto` has no
    /// `--budget`: each part is then within `contextTokens − contextReserve` (262,144 − 32,768 = 229,376
    /// for Kimi K2.6).
    public static let contextReserve = 32_768

    /// The budget a part gets: `budget`, or the context less the reserve.
    public static func partBudget(_ budget: Int?, profile: ModelProfile) -> Int {
        budget ?? max(1, profile.contextTokens - contextReserve)
    }

    /// The longest part (in seconds, at most `duration`) whose estimate at `fps` and `width`×`height`
    /// is within `budget`; `nil` when not even one frame's chunk fits.
    public static func partSeconds(duration: Double, fps: Double, width: Int, height: Int, budget: Int,
                                   profile: ModelProfile = .kimiK26) -> Double? {
        guard duration > 0, fps > 0 else { return nil }
        func cost(_ frames: Int) -> Int { TokenEstimate.video(frames: frames, fps: fps, width: width, height: height, profile: profile).tokens }
        // Whole frames, by bisection on the count (the cost never falls as frames are added).
        let all = VideoBudget.frames(seconds: duration, fps: fps)
        if cost(all) <= budget { return duration }
        guard cost(1) <= budget else { return nil }
        var low = 1, high = all
        while high - low > 1 {
            let mid = (low + high) / 2
            if cost(mid) <= budget { low = mid } else { high = mid }
        }
        return Double(low) / fps
    }

    /// The parts of a `duration`-second video cut every `length` seconds at most: on keyframes
    /// (`keyframes`, seconds from the start, sorted) when given and possible, else exactly. Covers
    /// 0…duration with no gap and no overlap.
    public static func cuts(duration: Double, length: Double, keyframes: [Double]?) -> (cut: Cut, ranges: [(Double, Double)]) {
        let epsilon = 1e-6
        guard length > 0, duration > length + epsilon else { return (keyframes == nil ? .exact : .keyframes, [(0, duration)]) }
        if let keyframes {
            var ranges: [(Double, Double)] = []
            var start = 0.0
            var possible = true
            while start < duration - epsilon {
                let limit = start + length
                if limit >= duration - epsilon {
                    ranges.append((start, duration))
                    break
                }
                // The last keyframe after the start and no later than the limit.
                guard let end = keyframes.last(where: { $0 > start + epsilon && $0 <= limit + epsilon }) else {
                    possible = false
                    break
                }
                ranges.append((start, end))
                start = end
            }
            if possible { return (.keyframes, ranges) }
        }
        var ranges: [(Double, Double)] = []
        var start = 0.0
        while start < duration - epsilon {
            let end = min(duration, start + length)
            // A sliver shorter than a millisecond joins the part before it.
            if duration - end < 1e-3 {
                ranges.append((start, duration))
                break
            }
            ranges.append((start, end))
            start = end
        }
        return (.exact, ranges)
    }

    /// The whole plan: the part length from the request and the budget, the cuts, each part's estimate.
    /// `nil` when not even one frame fits the budget.
    public static func plan(request: SegmentRequest, budget: Int, duration: Double, fps: Double, width: Int, height: Int,
                            keyframes: [Double]?, profile: ModelProfile = .kimiK26) -> VideoSegments? {
        let length: Double
        switch request {
        case .auto:
            guard let seconds = partSeconds(duration: duration, fps: fps, width: width, height: height, budget: budget, profile: profile) else {
                return nil
            }
            length = seconds
        case .every(let seconds):
            length = min(seconds, duration)
        }
        let (cut, ranges) = cuts(duration: duration, length: length, keyframes: keyframes)
        let parts = ranges.enumerated().map { i, range in
            VideoSegment(index: i + 1, startSeconds: range.0, endSeconds: range.1,
                         tokens: VideoBudget.tokens(seconds: range.1 - range.0, fps: fps, width: width, height: height, profile: profile))
        }
        return VideoSegments(request: request, budget: budget, partSeconds: length, cut: cut, parts: parts)
    }
}
