import Foundation
@testable import KimiMedia
import MediaCodecs
import Testing
import TestSupport

/// The video file `prepare` writes, read back with our own prober (and its bytes checked).
@Suite("Video file: re-encode, remux, copy")
struct VideoOutputTests {
    /// The video file the engine writes (as the batch has it: a compliant original copied), read back.
    func write(_ name: String, _ options: VideoOptions = VideoOptions()) throws -> (Written?, MediaInfo?, [UInt8], TemporaryFolder) {
        let folder = try TemporaryFolder()
        let path = Fixture.video(name)
        let preparer = Preparer(videoOptions: options)
        let info = try MediaProber.probe(path: path)
        let plan = VideoPlan.make(for: info, options: options)
        let (files, diagnostics) = try preparer.writeVideo(path, name: path, info: info, plan: plan, into: folder.path, copiesOriginal: true,
                                                           diagnostics: [])
        guard let file = files.first, case .video(let out) = file.payload else { return (nil, nil, [], folder) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        let written = Written(format: file.format, width: file.width, height: file.height, passthrough: file.passthrough,
                              tokens: file.estimate?.tokens, diagnostics: diagnostics)
        return (written, try MediaProber.probe(path: out), bytes, folder)
    }

    /// What a test reads of the written file.
    struct Written {
        var format: MediaFormat
        var width: Int
        var height: Int
        var passthrough: Bool
        var tokens: Int?
        var diagnostics: [Diagnostic]
    }

    /// `moov` before `mdat`: playable while it downloads (`+faststart`).
    func fastStart(_ bytes: [UInt8]) -> Bool {
        func offset(_ tag: String) -> Int? {
            let t = Array(tag.utf8)
            return (0..<(bytes.count - 4)).first { bytes[$0..<$0 + 4].elementsEqual(t) }
        }
        guard let moov = offset("moov"), let mdat = offset("mdat") else { return false }
        return moov < mdat
    }

    @Test(arguments: ["vp9.webm", "wmv2.wmv", "mpeg2.mpeg", "flv1.flv", "h263.3gp"])
    func otherCodecsBecomeH264(_ name: String) throws {
        let (written, info, bytes, _) = try write(name)
        let out = try #require(info)
        #expect(written?.passthrough == false && written?.format == .mp4)
        #expect(out.format == .mp4 && out.videoCodec == "h264")
        let source = try MediaProber.probe(path: Fixture.video(name))
        #expect((out.width, out.height) == (source.width, source.height))
        #expect(out.frameCount == 50 && out.frameRate == 25)
        #expect(abs((out.durationSeconds ?? 0) - 2) < 0.05)
        #expect(fastStart(bytes))
    }

    @Test func compliantMP4IsCopiedByteForByte() throws {
        let (written, _, bytes, _) = try write("with-audio.mp4")
        #expect(written?.passthrough == true)
        #expect(bytes == [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixture.video("with-audio.mp4")))))
    }

    /// H.264 in MOV: its packets are copied into an MP4, not re-encoded.
    @Test func movIsRemuxed() throws {
        let (written, info, bytes, _) = try write("h264.mov")
        #expect(written?.passthrough == false)
        #expect(info?.format == .mp4 && info?.frameCount == 50 && info?.videoCodec == "h264")
        #expect(fastStart(bytes))
        #expect(written?.diagnostics.first { $0.code == "video-written" }?.message.contains("video copy") == true)
    }

    /// Scaled into a custom box with the display rotation kept as metadata.
    @Test func scaledAndStillRotated() throws {
        let (written, info, _, _) = try write("rotated-90.mp4", try VideoOptions(maxSide: 64))
        let out = try #require(info)
        #expect((out.storedWidth, out.storedHeight) == (64, 36))
        #expect(out.rotation == 90 && (out.width, out.height) == (36, 64))
        #expect((written?.width, written?.height) == (36, 64))
    }

    @Test func audioCopiedReencodedOrDropped() throws {
        let aac = try write("mp2-audio.avi").1
        #expect(aac?.audioCodec == "aac" && aac?.videoCodec == "h264")
        let copied = try write("with-audio.mp4", try VideoOptions(maxSide: 64)).1
        #expect(copied?.audioCodec == "aac")
        let dropped = try write("with-audio.mp4", try VideoOptions(keepAudio: false)).1
        #expect(dropped?.hasAudio == false && dropped?.frameCount == 50)
    }

    @Test func maxFPSDropsFrames() throws {
        let (written, info, _, _) = try write("h264.mp4", try VideoOptions(maxFPS: 10))
        #expect(info?.frameCount == 20)
        #expect(written?.tokens == TokenEstimate.video(frames: 20, fps: 10, width: 160, height: 90).tokens)
    }

    @Test func noneWritesNothing() throws {
        #expect(try write("vp9.webm", try VideoOptions(output: .none)).0 == nil)
    }
}

extension VideoOutputTests {
    /// `--video model` written and read back: exactly the model's sampled frames at 2 fps, the
    /// model's frame size, and the same offline tokens as the fitted file — counted from the written
    /// file's own headers, as the server's reader would see them — in fewer bytes.
    @Test(arguments: ["h264.mp4", "vfr.mp4", "rotated-90.mp4", "vp9.webm", "with-audio.mp4", "mpeg2.mpeg"])
    func modelRateFileCostsWhatTheFittedFileCosts(name: String) throws {
        let model = try VideoOptions(frames: VideoOptions().frames, output: .model)
        let (written, info, bytes, _) = try write(name, model)
        let (fitted, fittedInfo, fittedBytes, _) = try write(name)
        let source = try MediaProber.probe(path: Fixture.video(name))
        let plan = VideoPlan.make(for: source, options: model)
        let rate = try #require(plan.encode.modelRate)
        let read = try #require(info), readFitted = try #require(fittedInfo)
        #expect(read.format == .mp4 && read.videoCodec == "h264")
        #expect(read.frameCount == rate.frames, "\(read.frameCount ?? -1) frames written, \(rate.frames) sampled")
        #expect(abs((read.frameRate ?? 0) - rate.fps) < 0.01)
        #expect(try TokenEstimate.of(read).tokens == TokenEstimate.of(readFitted).tokens)
        #expect(written?.tokens == fitted?.tokens)
        #expect(bytes.count < fittedBytes.count)
        #expect(read.hasAudio == readFitted.hasAudio)
    }
}
