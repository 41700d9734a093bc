import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

/// The values each fixture was generated with (Fixtures/generate.sh), asserted exactly.
struct ImageExpectation: Sendable, CustomTestStringConvertible {
    var name: String
    var format: MediaFormat
    var width: Int, height: Int
    var storedWidth: Int, storedHeight: Int
    var orientation = 1
    var hasAlpha = false
    var frames = 1
    var seconds: Double?
    var bitDepth: Int? = 8
    var colorModel: String
    var progressive = false

    var testDescription: String { name }
}

let imageExpectations: [ImageExpectation] = [
    .init(name: "png-rgb.png", format: .png, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "rgb"),
    .init(name: "png-rgba.png", format: .png, width: 320, height: 240, storedWidth: 320, storedHeight: 240, hasAlpha: true, colorModel: "rgb"),
    .init(name: "png-rgb16.png", format: .png, width: 320, height: 240, storedWidth: 320, storedHeight: 240, bitDepth: 16, colorModel: "rgb"),
    .init(name: "png-palette.png", format: .png, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "palette"),
    .init(name: "png-gray.png", format: .png, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "gray"),
    .init(name: "png-animated.png", format: .png, width: 160, height: 120, storedWidth: 160, storedHeight: 120, frames: 3, seconds: 0.3, colorModel: "rgb"),
    .init(name: "jpeg-baseline.jpg", format: .jpeg, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "rgb"),
    .init(name: "jpeg-progressive.jpg", format: .jpeg, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "rgb", progressive: true),
    .init(name: "jpeg-cmyk.jpg", format: .jpeg, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "ycck"),
    .init(name: "jpeg-gray.jpg", format: .jpeg, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "gray"),
    .init(name: "webp-lossy.webp", format: .webp, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "rgb"),
    .init(name: "webp-lossless.webp", format: .webp, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "rgb"),
    .init(name: "webp-alpha.webp", format: .webp, width: 320, height: 240, storedWidth: 320, storedHeight: 240, hasAlpha: true, colorModel: "rgb"),
    .init(name: "webp-animated.webp", format: .webp, width: 160, height: 120, storedWidth: 160, storedHeight: 120, hasAlpha: true, frames: 3, seconds: 0.3, colorModel: "rgb"),
    .init(name: "gif-static.gif", format: .gif, width: 320, height: 240, storedWidth: 320, storedHeight: 240, colorModel: "palette"),
    .init(name: "gif-animated.gif", format: .gif, width: 160, height: 120, storedWidth: 160, storedHeight: 120, hasAlpha: true, frames: 4, seconds: 0.4, colorModel: "palette"),
] + (1...8).map { o in
    // Upright 96×64; orientations 5–8 store it transposed (64×96).
    .init(name: "jpeg-orientation-\(o).jpg", format: .jpeg, width: 96, height: 64,
          storedWidth: o >= 5 ? 64 : 96, storedHeight: o >= 5 ? 96 : 64, orientation: o, colorModel: "rgb")
}

struct VideoExpectation: Sendable, CustomTestStringConvertible {
    var name: String
    var format: MediaFormat
    var codec: String
    var width = 160, height = 90
    var storedWidth = 160, storedHeight = 90
    var rotation = 0
    var frames = 50
    var seconds = 2.0
    var fps = 25.0
    var audio: String?
    /// Keyframes every second (GOP 25 at 25 fps) where the container indexes every frame.
    var keyframeInterval: Double? = 1
    var keyframes: Int? = 2
    /// The pixel format, from the codec's headers where they give it (H.264, AV1, VP9) without decoding.
    var colorModel = "yuv420p"

    var testDescription: String { name }
}

let videoExpectations: [VideoExpectation] = [
    .init(name: "h264.mp4", format: .mp4, codec: "h264"),
    .init(name: "h264.mov", format: .mov, codec: "h264"),
    .init(name: "h263.3gp", format: .threeGP, codec: "h263", width: 176, height: 144, storedWidth: 176, storedHeight: 144),
    .init(name: "mpeg4.avi", format: .avi, codec: "mpeg4"),
    .init(name: "mpeg2.mpeg", format: .mpeg, codec: "mpeg2video", keyframeInterval: nil, keyframes: nil),
    .init(name: "mpeg1.mpg", format: .mpeg, codec: "mpeg1video", keyframeInterval: nil, keyframes: nil),
    .init(name: "flv1.flv", format: .flv, codec: "flv1", keyframeInterval: nil, keyframes: nil),
    .init(name: "vp9.webm", format: .webm, codec: "vp9", keyframeInterval: nil, keyframes: nil),
    .init(name: "wmv2.wmv", format: .wmv, codec: "wmv2", keyframeInterval: nil, keyframes: nil),
    .init(name: "rotated-90.mp4", format: .mp4, codec: "h264", width: 90, height: 160, rotation: 90),
    .init(name: "with-audio.mp4", format: .mp4, codec: "h264", audio: "aac"),
    .init(name: "h264-bframes.mp4", format: .mp4, codec: "h264"),
    // The interval is the keyframes' decode-time spacing (the index holds decode times): the
    // second key is decoded 4 frames before it is shown (two leading pictures follow it), the
    // first 2, so they are 23 frames apart: 0.92 s.
    .init(name: "hevc-radl.mp4", format: .mp4, codec: "hevc", keyframeInterval: 0.92),
    .init(name: "mp2-audio.avi", format: .avi, codec: "mpeg4", audio: "mp2"),
    .init(name: "single-keyframe.mp4", format: .mp4, codec: "h264", keyframeInterval: 2, keyframes: 1),
    .init(name: "slideshow.mp4", format: .mp4, codec: "h264", width: 128, height: 72, storedWidth: 128, storedHeight: 72,
          frames: 300, seconds: 60, fps: 5, keyframeInterval: 10, keyframes: 6),
    .init(name: "one-hour-16x16.mp4", format: .mp4, codec: "h264", width: 16, height: 16, storedWidth: 16, storedHeight: 16,
          frames: 3600, seconds: 3600, fps: 1, keyframeInterval: 60, keyframes: 60),
]

@Suite("Probe: every valid fixture, exact values")
struct FixtureProbeTests {
    @Test(arguments: imageExpectations)
    func image(_ e: ImageExpectation) throws {
        let path = Fixture.image(e.name)
        let info = try MediaProber.probe(path: path)
        #expect(info.kind == .image)
        #expect(info.format == e.format)
        #expect(info.width == e.width && info.height == e.height)
        #expect(info.storedWidth == e.storedWidth && info.storedHeight == e.storedHeight)
        #expect(info.exifOrientation.rawValue == e.orientation && info.rotation == info.exifOrientation.rotationDegrees)
        #expect(info.hasAlpha == e.hasAlpha)
        #expect(info.frameCount == e.frames)
        #expect(info.animated == (e.frames > 1))
        #expect(info.durationSeconds == e.seconds)
        #expect(info.bitDepth == e.bitDepth)
        #expect(info.colorModel == e.colorModel)
        #expect(info.progressive == e.progressive)
        #expect(info.videoCodec == nil && info.frameRate == nil && !info.hasAudio)
        #expect(info.bytes == Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int))
        #expect(info.accepted)
        #expect(info.diagnostics.isEmpty)
    }

    @Test(arguments: videoExpectations)
    func video(_ e: VideoExpectation) throws {
        let info = try MediaProber.probe(path: Fixture.video(e.name))
        #expect(info.kind == .video)
        #expect(info.format == e.format)
        #expect(info.videoCodec == e.codec)
        #expect(info.width == e.width && info.height == e.height)
        #expect(info.storedWidth == e.storedWidth && info.storedHeight == e.storedHeight)
        #expect(info.rotation == e.rotation && info.exifOrientation == .up)
        #expect(info.frameCount == e.frames)
        #expect(abs((info.durationSeconds ?? 0) - e.seconds) < 0.001)
        #expect(abs((info.frameRate ?? 0) - e.fps) < 0.001)
        #expect(info.colorModel == e.colorModel)
        #expect(info.hasAudio == (e.audio != nil))
        #expect(info.audioCodec == e.audio)
        #expect(info.keyframeInterval == e.keyframeInterval)
        #expect(info.keyframeCount == e.keyframes)
        #expect(!info.animated && !info.hasAlpha)
        #expect(info.accepted)
    }

    /// 25 frames in the first second, 20 at 10 fps after: 45 frames ending at t = 2.9 s plus the
    /// last frame's duration, so the average rate is 45 / duration.
    @Test func variableFrameRate() throws {
        let info = try MediaProber.probe(path: Fixture.video("vfr.mp4"))
        #expect(info.frameCount == 45)
        let duration = try #require(info.durationSeconds)
        #expect(duration > 2.9 && duration <= 3.0)
        #expect(abs((info.frameRate ?? 0) - 45 / duration) < 0.001)
        #expect(info.keyframeCount == 2 && info.keyframeInterval == 1)
    }

    @Test func everyFixtureFileIsCovered() {
        let covered = Set(imageExpectations.map(\.name))
        #expect(Set(Fixture.names(in: "images")) == covered)
        let videos = Set(videoExpectations.map(\.name) + ["vfr.mp4"])
        #expect(Set(Fixture.names(in: "video")) == videos)
    }
}
