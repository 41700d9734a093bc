import Foundation
import Testing

@testable import MediaCore

@Suite("Video tokens (docs/kimi-api.md §3)")
struct VideoTokensTests {
    /// §3.4, whole videos (30 fps unless noted): frames, sampled, chunks, pads per chunk, Σ media_pad,
    /// and the total with 11 wrapper and timestamp tokens per chunk.
    @Test func everyGoldenVideoRow() {
        let rows: [(frames: Int, fps: Double, w: Int, h: Int, sampled: Int, chunks: Int, perChunk: Int, pads: Int, total: Int)] = [
            (300, 30, 1920, 1080, 20, 5, 1032, 5160, 5215),
            (1800, 30, 1920, 1080, 120, 30, 1032, 30960, 31290),
            (1800, 30, 1280, 720, 120, 30, 1075, 32250, 32580),
            (1800, 30, 640, 480, 120, 30, 414, 12420, 12750),
            (60, 1, 1920, 1080, 60, 15, 1032, 15480, 15645),
            (9000, 30, 1920, 1080, 600, 150, 1032, 154800, 156450),
            (18000, 30, 1920, 1080, 1200, 300, 1032, 309600, 312900),
        ]
        for r in rows {
            let v = VideoTokens(frameCount: r.frames, fps: r.fps, width: r.w, height: r.h)
            let got: [Int] = [v.sampledFrames, v.chunks, v.tokensPerChunk, v.mediaTokens, v.promptTokens()]
            let expected: [Int] = [r.sampled, r.chunks, r.perChunk, r.pads, r.total]
            #expect(got == expected, "\(r.frames) frames \(r.w)×\(r.h)")
        }
    }

    /// §3.4 sample chunk layouts.
    @Test func chunkLayouts() {
        let a = VideoTokens(frameCount: 300, fps: 30, width: 1920, height: 1080)
        #expect(Array(a.frameIndices.prefix(8)) == [0, 16, 31, 47, 63, 79, 94, 110])
        #expect(Array(a.timestamps.prefix(3)) == ["00:00:00.000", "00:00:02.100", "00:00:04.200"])
        let b = VideoTokens(frameCount: 90, fps: 30, width: 640, height: 480)
        #expect(b.frameIndices == [0, 18, 36, 53, 71, 89])
        #expect(b.chunks == 2)
        #expect(b.timestamps == ["00:00:00.000", "00:00:02.366"])
    }

    @Test func roundingAndEdges() {
        // n = round_half_even(N·sf/fps): 5 frames at 4 fps sampled at 2 fps → 2.5 → 2.
        #expect(VideoTokens(frameCount: 5, fps: 4, width: 64, height: 64).sampledFrames == 2)
        #expect(VideoTokens(frameCount: 7, fps: 4, width: 64, height: 64).sampledFrames == 4)  // 3.5 → 4
        // A single frame, or a source slower than 2 fps, samples every frame.
        #expect(VideoTokens(frameCount: 1, fps: 25, width: 64, height: 64).frameIndices == [0])
        #expect(VideoTokens(frameCount: 10, fps: 1, width: 64, height: 64).frameIndices == Array(0..<10))
        #expect(VideoTokens.linspaceRounded(count: 4, samples: 3) == [0, 2, 3])  // 1.5 → 2 (half to even)
        #expect(VideoTokens.linspaceRounded(count: 6, samples: 3) == [0, 2, 5])  // 2.5 → 2
        #expect(VideoTokens.timestamp(3725.5) == "01:02:05.500")
        #expect(VideoTokens.timestamp(2.9999999) == "00:00:03.999")  // Python's microsecond rounding, kept
    }

    /// 1080p at about 516 media tokens a second fills the 262,144-token context at about 8.4 minutes.
    @Test func howLongFits() {
        let seconds = VideoTokens.secondsFitting(budget: 262_144, fps: 30, width: 1920, height: 1080)
        #expect(seconds > 8 * 60 && seconds < 8.5 * 60)
        let v = VideoTokens(frameCount: Int(seconds * 30), fps: 30, width: 1920, height: 1080)
        #expect(v.promptTokens() <= 262_144)
    }

    @Test func profilesOverrideFromJSON() throws {
        var custom = ModelProfile.kimiK26
        custom.models = ["kimi-k3-preview"]
        custom.inPatchLimit = 65536
        custom.sampleFPS = 8
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-\(UUID()).json")
        try JSONEncoder().encode([custom]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let profiles = try ModelProfiles.loading(url)
        #expect(profiles.profile(for: "kimi-k2.6") == .kimiK26)
        #expect(profiles.profile(for: "kimi-k3-preview")?.sampleFPS == 8)
        #expect(profiles.models == ["kimi-k2.5", "kimi-k2.6", "kimi-k3-preview"])
        // A larger budget changes the count: 3000×3000 is 4225 tokens at 16384 patches.
        let k3 = try #require(profiles.profile(for: "kimi-k3-preview"))
        #expect(ImageTokens(width: 3000, height: 3000, profile: k3).tokens > 4225)
    }
}
