import MediaCore
import Testing

@Suite("Video file plan")
struct VideoEncodePlanTests {
    func info(_ format: MediaFormat = .mp4, codec: String = "h264", width: Int = 1920, height: Int = 1080, rotation: Int = 0,
              audio: String? = nil, fps: Double = 30, bytes: Int64 = 1_000_000) -> MediaInfo {
        let swaps = rotation % 180 == 90
        return MediaInfo(path: "v", kind: .video, format: format, storedWidth: width, storedHeight: height, orientation: rotation,
                         swapsDimensions: swaps, frameCount: 300, durationSeconds: 10, frameRate: fps, videoCodec: codec,
                         audioCodec: audio, hasAudio: audio != nil, bytes: bytes, accepted: true)
    }

    func plan(_ info: MediaInfo, _ options: VideoOptions = VideoOptions()) -> VideoEncodePlan {
        VideoPlan.make(for: info, options: options).encode
    }

    @Test func compliantMP4IsCopied() {
        let p = plan(info(audio: "aac"))
        #expect(p.action == .passthrough && p.video == .copy && p.audio == .copy && p.reasons.isEmpty)
        #expect(plan(info(audio: "mp3")).action == .passthrough)
    }

    @Test func outsideTheBoxIsEncodedAtTheFit() {
        let p = plan(info(width: 3840, height: 2160))
        #expect(p.action == .write && p.video == .encode)
        #expect((p.width, p.height) == (1920, 1080))
        // A portrait 4K phone video (stored landscape, rotated 90°): the box applies upright
        // (2160×3840 → 1080×1920), the stored size is its transpose and the rotation stays metadata.
        let portrait = plan(info(width: 3840, height: 2160, rotation: 90))
        #expect(portrait.video == .encode && (portrait.width, portrait.height) == (1920, 1080))
        // Upright 1080×1920 fits the box as it is.
        #expect(plan(info(width: 1920, height: 1080, rotation: 90)).action == .passthrough)
    }

    /// libx264 refuses odd sides in 4:2:0: a 2.39:1 4K film fits to 2048×871 and is written 2048×870;
    /// an odd screen recording in another codec is written one pixel smaller on each odd side.
    @Test func encodedSidesAreEven() throws {
        let film = plan(info(width: 3840, height: 1634))
        #expect(VideoPlan.make(for: info(width: 3840, height: 1634), options: VideoOptions()).height == 871)
        #expect(film.video == .encode && (film.width, film.height) == (2048, 870))
        let screen = plan(info(.webm, codec: "vp9", width: 1279, height: 719))
        #expect(screen.video == .encode && (screen.width, screen.height) == (1278, 718))
        // --max-side that yields an odd side.
        let boxed = plan(info(width: 478, height: 200), try VideoOptions(maxSide: 301))
        #expect((boxed.width, boxed.height) == (300, 126))
        // Copied H.264 keeps its odd size: nothing is encoded.
        #expect(plan(info(.mkv, width: 1279, height: 719)).video == .copy)
    }

    /// Only 8-bit 4:2:0 H.264 is copied: High 4:4:4 or 10-bit H.264 is re-encoded.
    @Test func unusualH264IsEncoded() {
        var screen = info(.mkv)
        screen.colorModel = "yuv444p"
        #expect(plan(screen).video == .encode)
        var tenBit = info()
        tenBit.colorModel = "yuv420p10le"
        #expect(plan(tenBit).action == .write && plan(tenBit).video == .encode)
        var ordinary = info()
        ordinary.colorModel = "yuv420p"
        #expect(plan(ordinary).action == .passthrough)
    }

    /// Containers the API does not take: H.264 is remuxed, other codecs encoded; `convert` says so.
    @Test func conversionOfRefusedContainers() {
        var mkv = info(.mkv)
        mkv.accepted = false
        #expect(Conversion.needed(for: mkv) == .remux)
        var ts = info(.mpegts, codec: "mpeg2video")
        ts.accepted = false
        #expect(Conversion.needed(for: ts) == .encode)
        #expect(Conversion.needed(for: info()) == nil)
    }

    @Test func wrongContainerOnlyIsRemuxed() {
        let p = plan(info(.mov))
        #expect(p.action == .write && p.video == .copy && p.reasons == ["the container is mov, not MP4"])
    }

    @Test func otherCodecsAndAudio() throws {
        let vp9 = plan(info(.webm, codec: "vp9", audio: "opus"))
        #expect(vp9.video == .encode && vp9.audio == .encode)
        #expect(plan(info(audio: "aac"), try VideoOptions(keepAudio: false)).audio == .drop)
        #expect(plan(info(audio: "aac"), try VideoOptions(keepAudio: false)).action == .write)
        #expect(plan(info()).audio == .absent)
    }

    @Test func rateAndBudget() throws {
        #expect(plan(info(fps: 60), try VideoOptions(maxFPS: 30)).video == .encode)
        #expect(plan(info(fps: 30), try VideoOptions(maxFPS: 30)).action == .passthrough)
        #expect(plan(info(bytes: 200_000_000)).video == .encode)
    }

    @Test func keepAndNone() throws {
        #expect(plan(info(.webm, codec: "vp9"), try VideoOptions(output: .keep)).action == .passthrough)
        let none = plan(info(), try VideoOptions(output: .none))
        #expect(none.action == .none && none.video == .absent)
    }
}

@Suite("Video encode plan: the byte budget")
struct VideoEncodeBudgetTests {
    func long(bytes: Int64) -> MediaInfo {
        MediaInfo(path: "long.mp4", kind: .video, format: .mp4, storedWidth: 320, storedHeight: 180, orientation: 0,
                  swapsDimensions: false, frameCount: 108_000, durationSeconds: 3600, frameRate: 30, videoCodec: "h264",
                  bytes: bytes, accepted: true)
    }

    /// A source over the byte budget is re-encoded with a bit-rate cap that fits the budget over its
    /// duration (a 1-hour 344 MB clip came out at 115 MB on quality alone); one under it has none.
    @Test func overBudgetSourcesGetARateCap() throws {
        let plan = VideoEncodePlan.make(for: long(bytes: 343_701_584), output: .fit, resizeWidth: 320, resizeHeight: 180, maxFPS: nil,
                                        keepAudio: true, maxBytes: 100_000_000)
        #expect(plan.video == .encode)
        let cap = try #require(plan.maxBitrate)
        #expect(cap == 204_444)  // 100 MB × 0.92 × 8 / 3600 s
        let under = VideoEncodePlan.make(for: long(bytes: 90_000_000), output: .fit, resizeWidth: 320, resizeHeight: 180, maxFPS: nil,
                                         keepAudio: true, maxBytes: 100_000_000)
        #expect(under.action == .passthrough && under.maxBitrate == nil)
        #expect(VideoEncodePlan.bitrateCap(maxBytes: 100_000_000, seconds: 600, audio: .copy) == 1_066_666)  // less 160 kb/s of audio
        #expect(VideoEncodePlan.bitrateCap(maxBytes: 100_000_000, seconds: 3600, audio: .copy) == 64_000)  // the floor
        #expect(VideoEncodePlan.bitrateCap(maxBytes: 1_000_000, seconds: 36_000, audio: .absent) == 64_000)
    }
}
