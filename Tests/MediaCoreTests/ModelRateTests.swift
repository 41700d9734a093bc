import MediaCore
import Testing

/// `--video model`: the file of the model's own frames costs what the fitted file costs.
@Suite("Video at the model's rate")
struct ModelRateTests {
    func info(width: Int, height: Int, fps: Double, frames: Int, rotation: Int = 0, codec: String = "h264") -> MediaInfo {
        MediaInfo(path: "v", kind: .video, format: .mp4, storedWidth: width, storedHeight: height, orientation: rotation,
                  swapsDimensions: rotation % 180 == 90, frameCount: frames, durationSeconds: Double(frames) / fps, frameRate: fps,
                  videoCodec: codec, audioCodec: nil, hasAudio: false, bytes: 1_000_000, accepted: true)
    }

    /// Over sizes (landscape, portrait, rotated, odd, tiny, beyond the box), rates (1 to 120 fps,
    /// NTSC's fractions) and lengths (one frame to an hour): the model-rate file's offline tokens
    /// equal the fitted file's, exactly, and it never holds more frames or pixels.
    @Test func tokensEqualTheFittedFile() throws {
        let sizes = [(1920, 1080), (3840, 2160), (1080, 1920), (1280, 720), (640, 360), (320, 180), (4096, 1716), (1000, 1000),
                     (854, 480), (7680, 4320), (176, 144), (2560, 1080), (1081, 1921), (33, 21)]
        let rates = [1.0, 1.5, 2.0, 2.5, 12.0, 15.0, 23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0, 120.0]
        let lengths = [1, 2, 3, 7, 31, 61, 299, 300, 1801, 3600]
        var checked = 0
        for (w, h) in sizes {
            for fps in rates {
                for frames in lengths {
                    for rotation in [0, 90] {
                        let source = info(width: w, height: h, fps: fps, frames: frames, rotation: rotation)
                        let fit = VideoPlan.make(for: source, options: VideoOptions())
                        let model = VideoPlan.make(for: source, options: try VideoOptions(output: .model))
                        let a = try #require(fit.sentEstimate(for: source)), b = try #require(model.sentEstimate(for: source))
                        #expect(a.tokens == b.tokens, "\(w)x\(h) r\(rotation) \(fps) fps, \(frames) frames: fit \(a.tokens), model \(b.tokens)")
                        let rate = try #require(model.encode.modelRate)
                        #expect(rate.frames <= frames && rate.fps <= 2.0 + 1e-9 || rate.frames == frames)
                        #expect(model.encode.width * model.encode.height <= max(fit.encode.width * fit.encode.height, 4))
                        #expect(model.encode.width % 2 == 0 && model.encode.height % 2 == 0)
                        #expect(model.encode.reasons.contains { $0.hasPrefix("model-rate") })
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == sizes.count * rates.count * lengths.count * 2)
    }

    @Test func theFramesAreTheModelsOwnSample() throws {
        let source = info(width: 1920, height: 1080, fps: 30, frames: 1800)
        let model = try #require(VideoPlan.make(for: source, options: try VideoOptions(output: .model)).encode.modelRate)
        let sampled = VideoTokens(frameCount: 1800, fps: 30, width: 1920, height: 1080).frameIndices
        #expect(model.frames == 120 && model.fps == 2 && model.frameIndices == sampled)
    }

    @Test func withoutFrameCountAndRateItIsFit() throws {
        let source = MediaInfo(path: "v", kind: .video, format: .mkv, storedWidth: 1920, storedHeight: 1080, orientation: 0,
                               swapsDimensions: false, frameCount: nil, durationSeconds: nil, frameRate: nil, videoCodec: "h264",
                               audioCodec: nil, hasAudio: false, bytes: 1, accepted: false)
        let plan = VideoPlan.make(for: source, options: try VideoOptions(output: .model))
        #expect(plan.encode.modelRate == nil)
        #expect(plan.diagnostics.contains { $0.code == "model-rate-unknown" })
    }
}
