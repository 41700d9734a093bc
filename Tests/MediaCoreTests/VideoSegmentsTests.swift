import MediaCore
import Testing

/// `--segments`: where a long video is cut so that every part fits, checked by the model's own
/// arithmetic (``TokenEstimate``).
@Suite("Video segments")
struct VideoSegmentsTests {
    @Test func requestGrammar() {
        #expect(SegmentRequest(argument: "auto") == .auto)
        #expect(SegmentRequest(argument: "90") == .every(seconds: 90))
        #expect(SegmentRequest(argument: "90s") == .every(seconds: 90))
        #expect(SegmentRequest(argument: "10m") == .every(seconds: 600))
        #expect(SegmentRequest(argument: "1h30m") == .every(seconds: 5400))
        #expect(SegmentRequest(argument: "2m30s") == .every(seconds: 150))
        #expect(SegmentRequest(argument: "1.5h") == .every(seconds: 5400))
        for bad in ["", "0", "-5", "m", "10x", "1h1h", "5m3", "auto5", "inf", "nan"] {
            #expect(SegmentRequest(argument: bad) == nil, "\(bad)")
        }
    }

    /// The longest part that fits, to the frame: one frame more passes the budget.
    @Test func partLengthIsTheLongestThatFits() throws {
        let seconds = try #require(VideoSegments.partSeconds(duration: 60, fps: 30, width: 1920, height: 1080, budget: 8000))
        let frames = Int((seconds * 30).rounded())
        #expect(abs(seconds * 30 - Double(frames)) < 1e-9)
        let fits = TokenEstimate.video(frames: frames, fps: 30, width: 1920, height: 1080).tokens
        let over = TokenEstimate.video(frames: frames + 1, fps: 30, width: 1920, height: 1080).tokens
        // Within one chunk (1,032 + 11) of the budget: the cost rises a chunk at a time.
        #expect(fits <= 8000 && fits > 8000 - 1043 && over > 8000, "\(seconds) s: \(fits), one frame more \(over)")
        // A budget below one chunk: nothing fits.
        #expect(VideoSegments.partSeconds(duration: 60, fps: 30, width: 1920, height: 1080, budget: 100) == nil)
        // A video that fits whole: its own length.
        #expect(VideoSegments.partSeconds(duration: 10, fps: 30, width: 1920, height: 1080, budget: 100_000) == 10)
    }

    /// An hour of 1080p at 30 fps (about 1.9 M tokens) with `auto` and no budget: parts each within
    /// the context less its reserve, covering the hour with no gap and no overlap.
    @Test func anHourOf1080pFitsTheContextInParts() throws {
        let budget = VideoSegments.partBudget(nil, profile: .kimiK26)
        #expect(budget == 262_144 - 32_768)
        let whole = TokenEstimate.video(frames: 108_000, fps: 30, width: 1920, height: 1080).tokens
        #expect(whole > 1_800_000)
        let plan = try #require(VideoSegments.plan(request: .auto, budget: budget, duration: 3600, fps: 30, width: 1920, height: 1080,
                                                   keyframes: nil))
        #expect(plan.cut == .exact)
        #expect(plan.parts.count == Int((Double(whole) / Double(budget)).rounded(.up)), "\(plan.parts.count) parts for \(whole)")
        #expect(plan.parts.allSatisfy { $0.tokens <= budget })
        #expect(plan.parts.dropLast().allSatisfy { Double($0.tokens) >= 0.99 * Double(budget) })
        try checkCoverage(plan.parts, duration: 3600)
        // Each part is sampled and chunked on its own: the sum is the whole's within a chunk a part.
        #expect(abs(plan.parts.reduce(0) { $0 + $1.tokens } - whole) <= plan.parts.count * 1043)
    }

    /// Copied parts start on keyframes, never longer than the part length; a GOP longer than a part
    /// makes the parts re-encoded and cut exactly.
    @Test func keyframeCuts() throws {
        let keyframes = stride(from: 0.0, to: 3600, by: 60).map { $0 }
        let cut = VideoSegments.cuts(duration: 3600, length: 999, keyframes: keyframes)
        #expect(cut.cut == .keyframes)
        #expect(cut.ranges.map(\.0) == [0, 960, 1920, 2880])
        #expect(cut.ranges.allSatisfy { $0.1 - $0.0 <= 999 })
        let segments = cut.ranges.enumerated().map { VideoSegment(index: $0 + 1, startSeconds: $1.0, endSeconds: $1.1, tokens: 0) }
        try checkCoverage(segments, duration: 3600)
        // Keyframes every 60 s, parts of 30 s: exact cuts.
        let exact = VideoSegments.cuts(duration: 3600, length: 30, keyframes: keyframes)
        #expect(exact.cut == .exact && exact.ranges.count == 120 && exact.ranges.allSatisfy { abs($0.1 - $0.0 - 30) < 1e-9 })
        // Short enough: one range, whatever the keyframes.
        #expect(VideoSegments.cuts(duration: 20, length: 30, keyframes: [0]).ranges.count == 1)
    }

    /// The video plan: `auto` splits a long file (and writes it), leaves one that fits whole; a
    /// given length with a budget first fits one part's rate and size, then splits.
    @Test func videoPlanSplits() throws {
        let hour = MediaInfo(path: "v.mp4", kind: .video, format: .mp4, storedWidth: 1920, storedHeight: 1080, orientation: 0,
                             swapsDimensions: false, frameCount: 108_000, durationSeconds: 3600, frameRate: 30, videoCodec: "h264",
                             colorModel: "yuv420p", bytes: 50_000_000, accepted: true)
        var options = VideoOptions()
        options.segments = .auto
        let plan = VideoPlan.make(for: hour, options: options)
        let segments = try #require(plan.segments)
        #expect(segments.parts.count == 9 && plan.encode.action == .write && plan.encode.video == .copy)
        #expect(plan.encode.reasons.contains { $0.hasPrefix("split into 9 parts") })

        let minute = MediaInfo(path: "m.mp4", kind: .video, format: .mp4, storedWidth: 1920, storedHeight: 1080, orientation: 0,
                               swapsDimensions: false, frameCount: 1800, durationSeconds: 60, frameRate: 30, videoCodec: "h264",
                               colorModel: "yuv420p", bytes: 5_000_000, accepted: true)
        let whole = VideoPlan.make(for: minute, options: options)
        #expect(whole.segments == nil && whole.encode.action == .passthrough)
        #expect(whole.diagnostics.contains { $0.code == "segments-unneeded" })

        // 10-minute parts of 20,000 tokens each: the rate and size fit one part, the length is kept.
        options.segments = .every(seconds: 600)
        options.budget = 20_000
        let fitted = VideoPlan.make(for: hour, options: options)
        let parts = try #require(fitted.segments)
        #expect(parts.parts.count == 6 && parts.partSeconds == 600)
        #expect(fitted.budget?.moved.contains(.duration) == false && fitted.encode.video == .encode)
        for part in parts.parts {
            let frames = Int((part.durationSeconds * fitted.budget!.fps).rounded(.up))
            let tokens = TokenEstimate.video(frames: frames, fps: fitted.budget!.fps, width: fitted.budget!.width,
                                             height: fitted.budget!.height).tokens
            #expect(tokens == part.tokens && tokens <= 20_000 && tokens >= 18_000, "\(tokens)")
        }
    }

    /// Consecutive, from 0 to the end, no gap and no overlap.
    func checkCoverage(_ parts: [VideoSegment], duration: Double) throws {
        #expect(parts.first?.startSeconds == 0)
        #expect(abs((parts.last?.endSeconds ?? 0) - duration) < 1e-9)
        for (a, b) in zip(parts, parts.dropFirst()) { #expect(a.endSeconds == b.startSeconds && a.index + 1 == b.index) }
    }
}
