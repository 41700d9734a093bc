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
