/// A lever a token budget may move (`--keep` forbids one).
public enum BudgetLever: String, Sendable, Codable, Hashable, CaseIterable {
    /// The frame rate: the model samples min(2, fps) frames a second, so a 0.5 fps file costs a quarter.
    case fps
    /// The frame size: below about 1200×675 a frame costs fewer patches.
    case size
    /// The length: the file is cut at the end.
    case duration
}

/// What a token budget makes of a video file: the frame rate, size and length whose offline
/// estimate (``TokenEstimate/video(frames:fps:width:height:profile:)``, the model's own arithmetic)
/// is within the budget and as close to it as the arithmetic allows.
///
/// The levers are moved in a fixed order, each only as far as needed and never past its floor:
/// 1. frame rate, down to 0.5 fps (one frame every 2 s; lower loses motion the model would see);
/// 2. size (aspect kept, even sides), down to a short side of 280 px;
/// 3. length, cut at the end (no floor).
/// `keep` leaves a lever alone. When even the floors of the allowed levers do not fit, there is no plan.
public struct VideoBudget: Sendable, Codable, Hashable {
    /// The budget asked for, in prompt tokens of the video part.
    public var budget: Int
    /// The file's frame rate (the source's when unchanged).
    public var fps: Double
    /// Displayed (upright) frame size.
    public var width: Int
    public var height: Int
    public var durationSeconds: Double
    /// The offline estimate of that file.
    public var tokens: Int
    /// The levers moved, in order.
    public var moved: [BudgetLever]

    public static let fpsFloor = 0.5
    public static let shortSideFloor = 280

    /// The frames a file cut at `seconds` holds once rate-limited to `fps`: one per 1/fps slot that
    /// starts before the cut (as the re-encode keeps them: frames at or past the cut are dropped).
    /// (A product a rounding error above a whole number, 427.00000000000006, is that number.)
    static func frames(seconds: Double, fps: Double) -> Int { max(1, Int((seconds * fps - 1e-7).rounded(.up))) }

    static func tokens(seconds: Double, fps: Double, width: Int, height: Int, profile: ModelProfile) -> Int {
        TokenEstimate.video(frames: frames(seconds: seconds, fps: fps), fps: fps, width: width, height: height, profile: profile).tokens
    }

    /// The plan for a video of `frames` frames at `fps`, `width`×`height` displayed; `nil` when it
    /// cannot fit without moving a kept lever past its floor.
    public static func plan(frames: Int, fps: Double, width: Int, height: Int, budget: Int, keep: Set<BudgetLever> = [],
                            profile: ModelProfile = .kimiK26) -> VideoBudget? {
        guard frames > 0, fps > 0, width > 0, height > 0, budget > 0 else { return nil }
        let seconds = Double(frames) / fps
        let start = (fps, width, height)
        var plan = VideoBudget(budget: budget, fps: fps, width: width, height: height, durationSeconds: seconds,
                               tokens: TokenEstimate.video(frames: frames, fps: fps, width: width, height: height, profile: profile).tokens,
                               moved: [])
        if plan.tokens <= budget { return plan }
        func cost(_ p: VideoBudget) -> Int { tokens(seconds: p.durationSeconds, fps: p.fps, width: p.width, height: p.height, profile: profile) }
        /// The plan with its estimate and the levers that did move (a lever at its floor from the
        /// start, e.g. a frame already small, is not listed).
        func finished(_ p: VideoBudget) -> VideoBudget {
            var p = p
            p.tokens = cost(p)
            p.moved = [p.fps != start.0 ? BudgetLever.fps : nil, (p.width, p.height) != (start.1, start.2) ? .size : nil,
                       p.durationSeconds < seconds ? .duration : nil].compactMap { $0 }
            return p
        }
        /// The largest value in `low...high` whose plan fits (the cost falls as the value falls),
        /// by bisection; `nil` when even `low` does not fit.
        func largest(_ low: Double, _ high: Double, _ apply: (inout VideoBudget, Double) -> Void) -> Double? {
            var probe = plan
            apply(&probe, low)
            guard cost(probe) <= budget else { return nil }
            var (lo, hi) = (low, high)
            for _ in 0..<40 {
                let mid = (lo + hi) / 2
                var p = plan
                apply(&p, mid)
                if cost(p) <= budget { lo = mid } else { hi = mid }
            }
            return lo
        }
        // 1. Frame rate (above 2 fps it changes nothing: the model samples 2 a second).
        if !keep.contains(.fps) {
            let high = min(fps, 2)
            let setFPS = { (p: inout VideoBudget, f: Double) in p.fps = f }
            if let f = largest(Self.fpsFloor, high, setFPS) {
                plan.fps = f
                return finished(plan)
            }
            plan.fps = min(high, Self.fpsFloor)
        }
        // 2. Size, aspect kept.
        if !keep.contains(.size) {
            let short = Double(min(width, height))
            let floor = min(1, Double(Self.shortSideFloor) / short)
            let setScale = { (p: inout VideoBudget, s: Double) in
                p.width = max(2, Int(Double(width) * s) & ~1)
                p.height = max(2, Int(Double(height) * s) & ~1)
            }
            if let s = largest(floor, 1, setScale) {
                setScale(&plan, s)
                return finished(plan)
            }
            setScale(&plan, floor)
        }
        // 3. Length.
        if !keep.contains(.duration) {
            let setSeconds = { (p: inout VideoBudget, d: Double) in p.durationSeconds = d }
            if let d = largest(min(seconds, 1 / plan.fps), seconds, setSeconds) {
                plan.durationSeconds = d
                return finished(plan)
            }
        }
        return nil
    }
}

extension VideoBudget {
    /// The least a video can be made to cost: every lever not kept at its floor (0.5 fps, a 280 px
    /// short side, one frame's length) — below it ``plan(frames:fps:width:height:budget:keep:profile:)``
    /// has no plan.
    public static func floor(frames: Int, fps: Double, width: Int, height: Int, keep: Set<BudgetLever> = [],
                             profile: ModelProfile = .kimiK26) -> Int {
        guard frames > 0, fps > 0, width > 0, height > 0 else { return 0 }
        let rate = keep.contains(.fps) ? fps : min(fps, fpsFloor)
        let scale = keep.contains(.size) ? 1 : min(1, Double(shortSideFloor) / Double(min(width, height)))
        let seconds = keep.contains(.duration) ? Double(frames) / fps : 1 / rate
        return tokens(seconds: seconds, fps: rate, width: max(2, Int(Double(width) * scale) & ~1),
                      height: max(2, Int(Double(height) * scale) & ~1), profile: profile)
    }

    /// `--budget-total`: each video's budget when `total` tokens cover a whole folder or request.
    /// What cannot shrink (`fixed`: images, the prompt's text) is taken off first; the rest is shared
    /// among the videos by weight — in proportion to each one's own cost — so every video keeps the
    /// same fraction of its tokens and a short clip is not starved to feed a long one; a video whose
    /// share would be below its ``floor(frames:fps:width:height:keep:profile:)`` gets its floor and
    /// the others share what remains. When everything fits, each share is the video's own cost
    /// (nothing moves). `nil` when the fixed costs alone reach the total; when even the floors do
    /// not fit, the floors (the total is then passed, and said).
    public static func shares(total: Int, fixed: Int, videos: [(cost: Int, floor: Int)]) -> [Int]? {
        let left = total - fixed
        guard left > 0 else { return nil }
        guard videos.reduce(0, { $0 + $1.cost }) > left else { return videos.map(\.cost) }
        var shares = [Int?](repeating: nil, count: videos.count)
        while true {
            let open = videos.indices.filter { shares[$0] == nil }
            let rest = left - shares.compactMap { $0 }.reduce(0, +)
            let weight = open.reduce(0) { $0 + videos[$1].cost }
            guard weight > 0, rest > 0 else {
                for i in open { shares[i] = videos[i].floor }
                break
            }
            // Floors, so that the shares never add up past what is left.
            let proposed = open.map { ($0, Int(Double(videos[$0].cost) * Double(rest) / Double(weight))) }
            let starved = proposed.filter { $0.1 < videos[$0.0].floor }
            if starved.isEmpty {
                for (i, share) in proposed { shares[i] = share }
                break
            }
            for (i, _) in starved { shares[i] = videos[i].floor }
        }
        return shares.map { max(1, $0 ?? 1) }
    }
}
