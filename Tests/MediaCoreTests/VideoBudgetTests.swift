import MediaCore
import Testing

/// The token budget's choice, checked by the model's own arithmetic (``TokenEstimate``).
@Suite("Video token budget")
struct VideoBudgetTests {
    /// A 60 s 1080p clip (31,290 tokens) into 8,000: the frame rate goes to its floor (0.5 fps is
    /// still 8,344), then the size shrinks just enough.
    @Test func sixtySecondsOf1080pInto8000() throws {
        let plan = try #require(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: 8000))
        #expect(plan.moved == [.fps, .size])
        #expect(plan.fps == VideoBudget.fpsFloor && plan.width < 1920 && plan.width % 2 == 0 && plan.height % 2 == 0)
        #expect(plan.tokens <= 8000 && plan.tokens >= 6800, "\(plan.tokens)")
        let check = TokenEstimate.video(frames: 30, fps: plan.fps, width: plan.width, height: plan.height).tokens
        #expect(check == plan.tokens)
        // Already within: nothing moves.
        #expect(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: 40_000)?.moved == [])
    }

    /// The levers in order, each only as far as needed, and `keep` respected.
    @Test func leversAndKeep() throws {
        // A budget the frame rate alone meets: only fps moves, close to the budget.
        let fps = try #require(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: 20_000))
        #expect(fps.moved == [.fps] && fps.fps < 2 && fps.tokens <= 20_000 && fps.tokens >= 17_000)
        // Size kept: the length is cut instead.
        let cut = try #require(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: 8000, keep: [.size]))
        #expect(cut.moved == [.fps, .duration] && cut.durationSeconds < 60 && cut.tokens <= 8000 && cut.tokens >= 6800)
        // Frame rate kept: size, then length.
        let sized = try #require(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: 8000, keep: [.fps]))
        #expect(sized.fps == 30 && sized.moved == [.size] && sized.tokens <= 8000 && sized.tokens >= 6800)
        // Nothing may move: no plan.
        #expect(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: 8000, keep: [.fps, .size, .duration]) == nil)
    }

    /// The plan goes into the video plan: re-encoded at the chosen rate, size and length.
    @Test func videoPlanCarriesTheChoice() throws {
        let info = MediaInfo(path: "v.mp4", kind: .video, format: .mp4, storedWidth: 1920, storedHeight: 1080, orientation: 0,
                             swapsDimensions: false, frameCount: 1800, durationSeconds: 60, frameRate: 30, videoCodec: "h264",
                             colorModel: "yuv420p", bytes: 1_000_000, accepted: true)
        var options = VideoOptions()
        options.budget = 8000
        let plan = VideoPlan.make(for: info, options: options)
        #expect(plan.encode.action == .write && plan.encode.video == .encode && plan.encode.maxFPS == 0.5)
        #expect(plan.encode.width == plan.budget?.width && plan.encode.reasons.last?.hasPrefix("budget 8000 tokens") == true)
        #expect(throws: OptionsError.self) { try VideoOptions(budget: 0) }
    }
}

/// `--budget-total`: a total shared among videos by weight, images and text kept, floors respected.
@Suite("Total budget shares")
struct BudgetSharesTests {
    @Test func sharedByWeight() throws {
        // Everything fits: each video keeps its own cost.
        #expect(VideoBudget.shares(total: 10_000, fixed: 500, videos: [(3000, 10), (2000, 10)]) == [3000, 2000])
        // 9,500 left for 19,000: each keeps half of its cost.
        let half = try #require(VideoBudget.shares(total: 10_000, fixed: 500, videos: [(12_000, 10), (7000, 10)]))
        #expect(half == [6000, 3500] && half.reduce(0, +) <= 9500)
        // The fixed costs alone reach the total: no shares.
        #expect(VideoBudget.shares(total: 500, fixed: 500, videos: [(100, 10)]) == nil)
    }

    /// A video that cannot go below its floor keeps its floor; the others share what remains.
    @Test func floorsFirst() throws {
        let shares = try #require(VideoBudget.shares(total: 4000, fixed: 113, videos: [(10_800, 3), (35, 35)]))
        #expect(shares == [3852, 35] && shares.reduce(0, +) == 4000 - 113)
        // Even the floors do not fit: the floors (the caller says the total is passed).
        #expect(VideoBudget.shares(total: 50, fixed: 10, videos: [(1000, 30), (1000, 30)]) == [30, 30])
    }

    /// The floor is what the budget's levers reach at their floors, and what a plan below it lacks.
    @Test func floorMatchesThePlan() throws {
        let floor = VideoBudget.floor(frames: 1800, fps: 30, width: 1920, height: 1080)
        #expect(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: floor) != nil)
        #expect(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: floor - 1) == nil)
        // The length kept: the floor is the whole minute at 0.5 fps and a 280 px short side.
        let kept = VideoBudget.floor(frames: 1800, fps: 30, width: 1920, height: 1080, keep: [.duration])
        #expect(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: kept, keep: [.duration]) != nil)
        #expect(VideoBudget.plan(frames: 1800, fps: 30, width: 1920, height: 1080, budget: kept - 1, keep: [.duration]) == nil)
    }
}
