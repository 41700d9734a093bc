import CFFmpegLoader
import Foundation
import MediaCore
import Testing
import TestSupport

@testable import MediaCodecs

func keyframes(_ path: String, options: VideoOptions = VideoOptions(), probe: ProbeOptions = ProbeOptions()) throws
    -> (VideoPlan, [ExtractedFrame], [Diagnostic]) {
    let info = try MediaProber.probe(path: path, options: probe)
    let plan = VideoPlan.make(for: info, options: options)
    var frames: [ExtractedFrame] = []
    let diagnostics = try FrameExtractor.extract(path: path, info: info, plan: plan, limits: probe.limits) { frames.append($0) }
    return (plan, frames, diagnostics)
}

@Suite("Keyframes")
struct FrameExtractorTests {
    /// Every container: the generator put keyframes at t = 0 s and 1 s (GOP 25 at 25 fps); only those
    /// two frames come out, VP9 included (whose decoder ignores skip_frame), each stamped with its
    /// key packet's time (H.264 with B-frames in MP4: 1.12 s for the second while the mov demuxer
    /// discarded the other packets).
    @Test(arguments: ["h264.mp4", "h264.mov", "h263.3gp", "mpeg4.avi", "mpeg2.mpeg", "mpeg1.mpg", "flv1.flv", "vp9.webm",
                      "wmv2.wmv", "with-audio.mp4", "vfr.mp4", "h264-bframes.mp4"])
    func keyframesOfEveryContainer(_ name: String) throws {
        let (plan, frames, _) = try keyframes(Fixture.video(name))
        #expect(frames.map { ($0.timestampSeconds * 1000).rounded() / 1000 } == [0, 1])
        #expect(frames.allSatisfy { $0.keyframe && $0.image.format == .jpeg && $0.image.width == plan.width })
        let decoded = try decodeRGB(frames[0].image.bytes, .jpeg)
        #expect(decoded.width == plan.width && decoded.height == plan.height)
    }

    /// MP4, MOV and 3GP keyframes are reached by seeking (only the key packets read): each seek
    /// lands on the key its index entry names, B-frames (a composition shift) included; the
    /// extraction above then gives exactly the frames of a read of every packet.
    @Test(arguments: ["h264.mp4", "h264.mov", "h263.3gp", "with-audio.mp4", "vfr.mp4", "h264-bframes.mp4", "one-hour-16x16.mp4"])
    func keyframeSeeksLand(_ name: String) throws {
        let info = try MediaProber.probe(path: Fixture.video(name), options: ProbeOptions())
        let demuxer = try Demuxer(path: Fixture.video(name), formatName: VideoProbe.demuxerName(info.format), limits: MediaLimits(), analyze: false)
        let stream = try #require(demuxer.videoStream)
        demuxer.discardAll(except: [stream.pointee.index], keeping: AVDISCARD_DEFAULT)
        var seeks = try #require(KeySeeks(stream: stream))
        let owned = try OwnedPacket()
        let packet = owned.pointer
        defer { withExtendedLifetime(owned) {} }
        var landed = 0
        while seeks.seekNext(demuxer.context, stream: stream) {
            #expect(kimi_av_read_frame(demuxer.context, packet) == 0)
            #expect(seeks.landed(on: packet, key: packet.pointee.flags & KIMI_AV_PKT_FLAG_KEY != 0), "\(name): key \(landed + 1)")
            landed += 1
            kimi_av_packet_unref(packet)
        }
        #expect(seeks.done && landed >= 1)
    }

    /// With cores to spare, keyframes of decoders without reordering delay are decoded on several
    /// single-threaded decoders at once (``ParallelKeyDecoder``): the same frames, bytes and
    /// times, in order, as one decoder gives — 60 keyframes of the hour-long clip included.
    /// Frames are also converted and encoded on as many threads (``FrameExtractor/FrameEncoder``):
    /// still handed back in order — turned frames (`rotated-90.mp4`) and model frames too.
    @Test(arguments: ["vp9.webm", "h264.mp4", "mpeg4.avi", "flv1.flv", "wmv2.wmv", "h263.3gp", "one-hour-16x16.mp4", "h264-bframes.mp4",
                      "rotated-90.mp4", "model:h264-bframes.mp4", "model:rotated-90.mp4", "model:vp9.webm"])
    func parallelDecodersGiveTheSameFrames(_ argument: String) throws {
        let model = argument.hasPrefix("model:"), name = model ? String(argument.dropFirst(6)) : argument
        func run(threads: Int) throws -> [ExtractedFrame] {
            let path = Fixture.video(name)
            let info = try MediaProber.probe(path: path, options: ProbeOptions())
            let plan = VideoPlan.make(for: info, options: model ? try VideoOptions(frames: .model) : VideoOptions())
            var frames: [ExtractedFrame] = []
            // The fixtures are small, which alone would keep one encoder thread: as many as decoders here.
            _ = try FrameExtractor.extract(path: path, info: info, plan: plan, limits: MediaLimits(), threads: threads,
                                           encoderThreads: threads) { frames.append($0) }
            return frames
        }
        let one = try run(threads: 1)
        for threads in [2, 3] {
            let many = try run(threads: threads)
            #expect(many.map(\.timestampSeconds) == one.map(\.timestampSeconds), "\(name), \(threads) threads")
            #expect(many.map(\.index) == Array(0..<one.count) && many.map(\.image.bytes) == one.map(\.image.bytes), "\(name), \(threads) threads")
        }
    }

    /// The encoder threads finish frames in any order; they are handed back in the order they were
    /// submitted, a dropped duplicate (`nil`) leaving no gap and holding nothing back.
    @Test func encodedFramesComeBackInOrder() {
        func frame(_ index: Int) -> ExtractedFrame {
            ExtractedFrame(index: index, timestampSeconds: Double(index), keyframe: true,
                           image: EncodedImage(bytes: [UInt8(index)], format: .jpeg, width: 1, height: 1, passthrough: false, diagnostics: []))
        }
        var results = FrameExtractor.FrameEncoder.Results()
        results.complete(2, frame(2))
        results.complete(1, nil)
        #expect(results.ready.isEmpty)  // 0 is not done: nothing may pass it
        results.complete(0, frame(0))
        #expect(results.ready.map(\.index) == [0, 2] && results.next == 3)
        results.complete(4, frame(4))
        results.complete(3, frame(3))
        #expect(results.ready.map(\.index) == [0, 2, 3, 4] && results.pending.isEmpty)
    }

    @Test func onlyKeyframeIsTheFirst() throws {
        let (_, frames, _) = try keyframes(Fixture.video("single-keyframe.mp4"))
        #expect(frames.map(\.timestampSeconds) == [0])
    }

    /// The display matrix turns frames upright: blue top-left, full-range colours (JPEG's, not
    /// video's 16–235).
    @Test func rotationAndFullRange() throws {
        let (plan, frames, _) = try keyframes(Fixture.video("rotated-90.mp4"))
        #expect((plan.width, plan.height) == (90, 160))
        #expect(plan.diagnostics.map(\.code).contains("rotation-applied"))
        let out = try decodeRGB(frames[0].image.bytes, .jpeg).planes[0]
        func color(_ x: Int, _ y: Int) -> [Int] { (0..<3).map { Int(out[x, y, $0]) } }
        #expect(color(10, 10)[2] > 245 && color(10, 10)[0] < 10, "top-left \(color(10, 10))")      // blue
        #expect(color(80, 10)[0] > 245 && color(80, 10)[2] < 10, "top-right \(color(80, 10))")     // red
        #expect(color(10, 150).allSatisfy { $0 > 245 }, "bottom-left \(color(10, 150))")          // white
    }

    @Test func framesFitTheBox() throws {
        let (plan, frames, _) = try keyframes(Fixture.video("h264.mp4"), options: try VideoOptions(maxSide: 64))
        #expect((plan.width, plan.height) == (64, 36))
        #expect(frames.allSatisfy { $0.image.width == 64 && $0.image.height == 36 })
        #expect(plan.frameTokens == ImageTokens(width: 64, height: 36).tokens + 5)
        #expect(plan.estimate?.tokens == TokenEstimate.video(frames: 50, fps: 25, width: 160, height: 90).tokens)
    }

    /// A one-hour video needs no more memory than a two-second one: frames are handed on as they are
    /// made, so peak memory does not grow with the length (60 keyframes of 3,600 frames here).
    @Test func memoryDoesNotGrowWithLength() throws {
        func peakKilobytes() -> Int {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return usage.ru_maxrss
        }
        _ = try keyframes(Fixture.video("h264.mp4"))  // FFmpeg loaded, caches warm
        let before = peakKilobytes()
        var seen = 0
        let path = Fixture.video("one-hour-16x16.mp4")
        let info = try MediaProber.probe(path: path)
        let plan = VideoPlan.make(for: info, options: VideoOptions())
        _ = try FrameExtractor.extract(path: path, info: info, plan: plan, limits: MediaLimits()) { frame in
            #expect(frame.index == seen)
            seen += 1
        }
        #expect(seen == 60)
        // Under AddressSanitizer (`make sanitize`) its shadow memory and quarantine are the peak: the
        // bound is checked in the plain run.
        if !underSanitizer { #expect(peakKilobytes() - before < 16 * 1024) }
        // At 1 fps every frame is sampled: 3,600 frames, 900 chunks of 1 token + 11 wrapper tokens.
        #expect(plan.estimate?.video?.sampledFrames == 3600)
        #expect(plan.estimate?.tokens == 900 * (1 + 11))
    }

    /// Thinning picks keyframes from their timestamps (a keyframe a minute over an hour).
    @Test func thinning() throws {
        let hour = Fixture.video("one-hour-16x16.mp4")
        let six = try keyframes(hour, options: try VideoOptions(maxFrames: 6)).1.map(\.timestampSeconds)
        #expect(six == [0, 600, 1200, 1800, 2400, 3000])
        let gapped = try keyframes(hour, options: try VideoOptions(minGapSeconds: 300)).1.map(\.timestampSeconds)
        #expect(gapped == stride(from: 0.0, to: 3600, by: 300).map { $0 })
        let both = try keyframes(hour, options: try VideoOptions(maxFrames: 6, minGapSeconds: 900)).1.map(\.timestampSeconds)
        #expect(both == [0, 900, 1800, 2700])  // at most one per 600 s slice, at least 900 s apart
        #expect(try keyframes(Fixture.video("h264.mp4"), options: try VideoOptions(minGapSeconds: 1.5)).1.map(\.timestampSeconds) == [0])
    }

    /// Damaged mid-stream (allowed truncation): the keyframes before the damage are kept.
    @Test func damagedVideosKeepTheFramesBefore() throws {
        let (_, frames, _) = try keyframes(Fixture.invalid("truncated.avi"), probe: ProbeOptions(allowTruncated: true))
        #expect(frames.map(\.timestampSeconds) == [0])
    }
}

@Suite("Model and uniform frames")
struct FrameScheduleTests {
    /// `--frames model` takes exactly the frames the model samples (docs/kimi-api.md §3.1), at their timestamps:
    /// 50 frames at 25 fps → indices 0, 16, 33, 49.
    @Test(arguments: ["h264.mp4", "h264.mov", "h263.3gp", "mpeg4.avi", "mpeg2.mpeg", "mpeg1.mpg", "flv1.flv", "vp9.webm",
                      "wmv2.wmv", "with-audio.mp4", "rotated-90.mp4", "h264-bframes.mp4", "hevc-radl.mp4"])
    func modelFramesOfEveryContainer(_ name: String) throws {
        let (plan, frames, _) = try keyframes(Fixture.video(name), options: try VideoOptions(frames: .model))
        let indices = try #require(try plan.targetFrames())
        #expect(indices == VideoTokens(frameCount: 50, fps: 25, width: 160, height: 90).frameIndices)
        #expect(indices == [0, 16, 33, 49])
        #expect(frames.map { ($0.timestampSeconds * 25).rounded() } == indices.map(Double.init))
        #expect(frames.map(\.keyframe) == [true, false, false, false])
    }

    /// Frames skipped undecoded (non-reference, not a target) change nothing in the frames that are
    /// kept: the same frames taken with nothing skipped (every frame decoded) are byte-identical.
    @Test(arguments: ["h264.mp4", "h264-bframes.mp4", "vp9.webm", "mpeg2.mpeg", "mp2-audio.avi", "hevc-radl.mp4"])
    func skippingChangesNoKeptFrame(_ name: String) throws {
        let model = try keyframes(Fixture.video(name), options: try VideoOptions(frames: .model)).1
        let all = try keyframes(Fixture.video(name), options: try VideoOptions(frames: .every(seconds: 0.04))).1
        #expect(all.count == 50)
        for frame in model {
            let same = all.first { abs($0.timestampSeconds - frame.timestampSeconds) < 0.001 }
            #expect(same?.image.bytes == frame.image.bytes, "frame at \(frame.timestampSeconds) s")
        }
    }

    /// After a group's last target its packets are held back and dropped undecoded at the closed
    /// keyframe that follows (``GroupTail``), and that keyframe's leading pictures are not decoded
    /// (HEVC's RADL frames 23 and 24, shown before the key at 25). For targets 0, 16, 33, 49 in
    /// groups of 25 frames: some packets are dropped, none of them a target, each after the last
    /// target of its group in decode order (B-frames shown before a target may follow it) or a
    /// leading picture; every target is decoded. The byte-identical frames of the test above show
    /// that nothing a kept frame needed was dropped.
    @Test(arguments: ["h264.mp4", "h264-bframes.mp4", "vp9.webm", "hevc-radl.mp4"])
    func groupTailsAreDropped(_ name: String) throws {
        let info = try MediaProber.probe(path: Fixture.video(name), options: ProbeOptions())
        let demuxer = try Demuxer(path: Fixture.video(name), formatName: VideoProbe.demuxerName(info.format), limits: MediaLimits(), analyze: true)
        let stream = try #require(demuxer.videoStream)
        demuxer.discardAll(except: [stream.pointee.index], keeping: AVDISCARD_DEFAULT)
        let targets = [0, 16, 33, 49]
        var policy = PacketPolicy(stream: stream, targets: targets)
        let syntax = try #require(ClosedKeyframe.Syntax(stream.pointee.codecpar))
        policy.holding = true
        let owned = try OwnedPacket()
        let packet = owned.pointer
        defer { withExtendedLifetime(owned) {} }
        let rate = av_q2d(stream.pointee.avg_frame_rate), base = av_q2d(stream.pointee.time_base)
        let start = stream.pointee.start_time == KIMI_AV_NOPTS_VALUE ? 0 : stream.pointee.start_time
        // Packets in decode order: frame index, keyframe, and whether it was decoded.
        var packets: [(index: Int, key: Bool, decoded: Bool?)] = []
        var held: [Int] = []  // positions in `packets`
        reading: while kimi_av_read_frame(demuxer.context, packet) == 0 {
            defer { kimi_av_packet_unref(packet) }
            let key = packet.pointee.flags & KIMI_AV_PKT_FLAG_KEY != 0
            let index = Int((Double(packet.pointee.pts - start) * base * rate).rounded())
            let closes = GroupTail(syntax: syntax).closes(packet)
            if key { #expect(closes, "\(name): the key at \(index) closes its group") }
            packets.append((index, key, nil))
            switch policy.decide(pts: packet.pointee.pts, dts: packet.pointee.dts, key: key, closes: closes) {
            case .skip: Issue.record("no group is skipped")
            case .finished: break reading
            case .hold: held.append(packets.count - 1)
            case .discard: packets[packets.count - 1].decoded = false
            case .decode(_, let fate):
                for i in held { packets[i].decoded = fate == .send }
                held = []
                packets[packets.count - 1].decoded = true
            }
        }
        for i in held { packets[i].decoded = false }
        let dropped = packets.indices.filter { packets[$0].decoded == false }
        #expect(!dropped.isEmpty, "\(name): nothing dropped")
        #expect(Set(packets.filter { $0.decoded == true }.map(\.index)).isSuperset(of: targets))
        for i in dropped {
            #expect(!targets.contains(packets[i].index), "\(name): target \(packets[i].index) dropped")
            // No target of the same group comes after it in decode order, unless it is a leading picture.
            let groupEnd = packets[(i + 1)...].firstIndex { $0.key } ?? packets.endIndex
            let leading = packets[..<i].last { $0.key }.map { packets[i].index < $0.index } ?? false
            #expect(leading || !packets[(i + 1)..<groupEnd].contains { targets.contains($0.index) },
                    "\(name): frame \(packets[i].index) dropped before a target of its group")
        }
    }

    /// Variable frame rate: frames are counted in presentation order, as the model does.
    @Test func variableFrameRateCountsFrames() throws {
        let path = Fixture.video("vfr.mp4")
        let (plan, frames, _) = try keyframes(path, options: try VideoOptions(frames: .model))
        #expect(frames.count == plan.estimate?.video?.sampledFrames)
        #expect(frames.count == 6)
        #expect(frames.map(\.timestampSeconds) == frames.map(\.timestampSeconds).sorted())
    }

    /// `every:S` takes the frame nearest each multiple of S; over an hour with a keyframe a minute,
    /// whole GOPs without a target are never decoded and reading stops after the last one.
    @Test func everySeconds() throws {
        let twoSeconds = try keyframes(Fixture.video("h264.mp4"), options: try VideoOptions(frames: .every(seconds: 0.5))).1
        #expect(twoSeconds.map(\.timestampSeconds) == [0, 0.48, 1, 1.52])  // frames 0, 12 (12.5 half-even), 25, 38
        let hour = try keyframes(Fixture.video("one-hour-16x16.mp4"), options: try VideoOptions(frames: .every(seconds: 600))).1
        #expect(hour.map(\.timestampSeconds) == [0, 600, 1200, 1800, 2400, 3000])
        let thinned = try keyframes(Fixture.video("h264.mp4"), options: try VideoOptions(frames: .model, maxFrames: 2)).1
        #expect(thinned.map(\.timestampSeconds) == [0, 1.32])
    }

    @Test func selectionGrammar() throws {
        #expect(FrameSelection(argument: "keyframes") == .keyframes)
        #expect(FrameSelection(argument: "model") == .model)
        #expect(FrameSelection(argument: "none") == FrameSelection.none)
        #expect(FrameSelection(argument: "every:2.5") == .every(seconds: 2.5))
        for bad in ["every:0", "every:-1", "every:x", "every:", "Model", "every:inf"] { #expect(FrameSelection(argument: bad) == nil, "\(bad)") }
        let json = try JSONEncoder().encode([FrameSelection.every(seconds: 2)])
        #expect(String(decoding: json, as: UTF8.self) == #"["every:2.0"]"#)
        #expect(try JSONDecoder().decode([FrameSelection].self, from: json) == [.every(seconds: 2)])
    }
}

@Suite("FFmpeg loading")
struct FFmpegLoadingTests {
    /// The error for libraries that could not be loaded is built without calling into FFmpeg
    /// (av_strerror would be a null function pointer then) and carries the loader's reason.
    @Test func notLoadedErrorNeedsNoFFmpeg() {
        let error = FFmpegError.notLoaded("libavformat.so.59: cannot open shared object file")
        #expect(error.function == "kimi_ffmpeg_load")
        #expect(error.description.contains("libavformat.so.59: cannot open shared object file"))
        #expect(FFmpegRuntime.loadError == nil)  // on this machine FFmpeg is installed and loads
    }
}
