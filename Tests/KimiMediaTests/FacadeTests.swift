import Foundation
import KimiMedia
import Testing
import TestSupport

/// The library façade end to end, as the README shows it, and its promises: one payload decision,
/// results in input order with bounded work ahead, real cancellation, typed errors, options checked
/// when made.
@Suite("Library façade")
struct FacadeTests {
    /// The README's example: two images and a video prepared, one request built by the payload
    /// planner (here under a small body limit, so the video goes up), sent to the stand-in.
    @Test func twoImagesAndAVideoToAChatRequest() async throws {
        let server = try await MoonshotStandIn.start()
        defer { Task { await server.stop() } }
        let work = try TemporaryFolder()
        let configuration = try APIConfiguration(baseURL: URL(string: server.baseURL)!, apiKey: APIKey(server.options.apiKey))
        var video = VideoOptions()
        video.frames = .none
        let preparer = Preparer(videoOptions: video)
        let urls = [Fixture.image("jpeg-orientation-6.jpg"), Fixture.image("png-rgba.png"), Fixture.video("vp9.webm")].map(URL.init(fileURLWithPath:))
        var media: [PreparedMedia] = []
        for await prepared in preparer.prepare(urls, jobs: 2, workFolder: work.url) {
            #expect(try prepared.result.get().source == prepared.url.path)
            media.append(try prepared.result.get())
        }
        #expect(media.map(\.format) == [.jpeg, .png, .mp4])
        #expect(media[0].estimate?.wrapperTokens == 5 && media[0].estimate.map { $0.mediaTokens + 5 == $0.tokens } == true)
        let answer = try await withMoonshotClient(configuration) { client in
            let builder = RequestBuilder(planner: PayloadPlanner(limit: 60_000), client: client,
                                         cache: UploadCache(path: work.path + "/uploads.json"))
            let planned = try await builder.build(prompt: "What do these show?", media: media)
            #expect(planned.plan.entries.map(\.delivery) == [.inline, .inline, .upload])
            #expect(planned.plan.bodyBytes <= 60_000)
            return try await client.chat(planned.request)
        }
        #expect(answer.text?.hasPrefix("stand-in answer: 2 image(s), 1 video(s)") == true)
        // The stand-in's count (its own arithmetic): one message, the generation prompt, its text rule.
        let tokens = media.compactMap { $0.estimate?.tokens }.reduce(0, +)
        #expect(answer.usage?.promptTokens == 4 + 4 + tokens + StandInTokens.text("What do these show?"))
        #expect(server.fileCount == 1)  // the video, uploaded once (its re-encoded MP4)
        for item in media { if let folder = item.workFolder { try? FileManager.default.removeItem(atPath: folder) } }
    }

    /// A failure is a typed result in the sequence; the others go on.
    /// A video split by `segments`: its parts in order, each a file of its own with its range, the
    /// whole's payload its first part's; a request is built from one part.
    @Test func splitVideoHasItsParts() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-parts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let preparer = Preparer(videoOptions: try VideoOptions(frames: .none, segments: .every(seconds: 0.5)))
        let video = try await preparer.prepare(URL(fileURLWithPath: Fixture.video("h264.mp4")), workFolder: work)
        #expect(video.parts.count == 4)
        #expect(video.parts.map { $0.segment?.index } == [1, 2, 3, 4] && video.parts.allSatisfy { $0.segment?.count == 4 })
        #expect(video.parts.map { $0.segment?.startSeconds ?? -1 } == [0, 0.5, 1, 1.5])
        for part in video.parts {
            guard case .video(let path) = part.payload else { Issue.record("not a file"); continue }
            #expect(FileManager.default.fileExists(atPath: path) && (part.estimate?.tokens ?? 0) > 0)
        }
        guard case .video(let whole) = video.payload, case .video(let first) = video.parts[0].payload else { return }
        #expect(whole == first && video.segment == nil)
        let built = try await RequestBuilder().build(prompt: "Part one.", media: [video.parts[0]])
        #expect(built.plan.entries.count == 1 && built.tokens > video.parts[0].estimate!.tokens && built.request.violations().isEmpty)
    }

    /// An app's `error.localizedDescription` is the message — the file, the stage, the cause — not
    /// "The operation could not be completed. (KimiMedia.KimiMediaError error 0.)".
    @Test func errorsReadInAnApp() async throws {
        do {
            _ = try await Preparer().prepare(URL(fileURLWithPath: Fixture.invalid("truncated.jpg")))
            Issue.record("a truncated JPEG was prepared")
        } catch {
            let text = (error as any Error).localizedDescription
            #expect(text == error.description && text.contains("truncated.jpg") && !text.contains("could not be completed"), "\(text)")
        }
        let options: any Error = KimiMediaError.options(OptionsError("quality", "is 0; allowed 1–100"))
        #expect(options.localizedDescription.contains("quality"))
    }

    @Test func failuresAreResults() async throws {
        var outcomes: [Bool] = []
        for await prepared in Preparer().prepare([Fixture.invalid("empty.jpg"), Fixture.image("png-rgb.png")].map(URL.init(fileURLWithPath:))) {
            switch prepared.result {
            case .success: outcomes.append(true)
            case .failure(.media(let error)):
                #expect(error.path.hasSuffix("empty.jpg") && error.stage == .probe)
                outcomes.append(false)
            case .failure(let other): Issue.record("unexpected \(other)")
            }
        }
        #expect(outcomes == [false, true])
    }

    /// Bytes in memory prepare like a file: an image stays in memory, a video's file lands in the
    /// prepared media's own folder; the staged copy is gone.
    @Test func preparesData() async throws {
        let work = try TemporaryFolder()
        let image = try await Preparer().prepare(Data(contentsOf: URL(fileURLWithPath: Fixture.image("png-rgb.png"))), name: "shot.png",
                                                 workFolder: work.url)
        #expect(image.source == "shot.png" && image.format == .png && image.workFolder == nil)
        let clip = try await Preparer().prepare(Data(contentsOf: URL(fileURLWithPath: Fixture.video("h264.mp4"))), name: "clip.mp4",
                                                workFolder: work.url)
        guard case .video(let path) = clip.payload else { Issue.record("not a video"); return }
        #expect(FileManager.default.fileExists(atPath: path) && path.hasPrefix(clip.workFolder ?? "-"))
        #expect(!clip.frames.isEmpty && clip.frames.allSatisfy { FileManager.default.fileExists(atPath: $0.path) && $0.tokens > 0 })
        let left = try FileManager.default.contentsOfDirectory(atPath: work.path)
        #expect(left == [URL(fileURLWithPath: clip.workFolder ?? "").lastPathComponent])  // only the clip's folder
    }

    /// Cancelling the task stops a long video in the middle (the one-hour fixture at the model's 2
    /// frames a second is 7,200 frames), with a typed error and nothing left behind.
    @Test func cancellationStopsAVideoMidway() async throws {
        let work = try TemporaryFolder()
        var options = VideoOptions()
        options.frames = .model
        let preparer = Preparer(videoOptions: options)
        let task = Task { try await preparer.prepare(URL(fileURLWithPath: Fixture.video("one-hour-16x16.mp4")), workFolder: work.url) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let cancelled = Date()
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("the whole hour was prepared")
        } catch let error as KimiMediaError {
            guard case .cancelled(let path) = error else { Issue.record("\(error)"); return }
            #expect(path?.hasSuffix("one-hour-16x16.mp4") == true)
        }
        if !underSanitizer { #expect(Date().timeIntervalSince(cancelled) < 1.5) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
    }

    /// Cancelled at any moment — while probing, taking the keyframes, re-encoding the AV1 MKV to
    /// H.264, or after the work ended but before the result was taken — nothing is left in the work
    /// folder (a cancel during the re-encode used to leave the frames and a partial `video.mp4`).
    @Test func cancelAtAnyMomentLeavesNothing() async throws {
        let work = try TemporaryFolder()
        let url = URL(fileURLWithPath: Fixture.root.appendingPathComponent("convert/av1.mkv").path)
        var delay = 0.0, cancelled = 0
        while true {
            let task = Task { try await Preparer().prepare(url, workFolder: work.url) }
            if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
            task.cancel()
            do {
                let prepared = try await task.value
                #expect(prepared.workFolder != nil)  // a whole result holds its folder until dropped
                break
            } catch let error as KimiMediaError {
                guard case .cancelled = error else { Issue.record("\(error)"); return }
                cancelled += 1
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty, "cancelled after \(delay) s")
            delay = delay == 0 ? 0.002 : delay * 1.4
        }
        #expect(cancelled >= 5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)  // the completed one, dropped
    }

    /// A 1,000-file sequence (images and videos) cancelled after a few results: when the loop ends,
    /// nothing of the files in flight or prepared ahead is left, nor of the results consumed and
    /// dropped; a loop left with `break` cleans up as its files wind down.
    @Test func cancelledSequenceLeavesNothing() async throws {
        let work = try TemporaryFolder()
        let kinds = [Fixture.video("h264.mp4"), Fixture.image("png-rgb.png"), Fixture.video("vp9.webm"), Fixture.video("with-audio.mp4")]
        let urls = (0..<1_000).map { URL(fileURLWithPath: kinds[$0 % kinds.count]) }
        let consumer = Task {
            var seen = 0
            for await prepared in Preparer().prepare(urls, jobs: 3, workFolder: work.url) {
                _ = try? prepared.result.get()
                seen += 1
                if seen == 6 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return seen
        }
        let seen = await consumer.value
        #expect(seen >= 6 && seen < 1_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)

        for await prepared in Preparer().prepare(urls, jobs: 3, workFolder: work.url) {
            if case .success(let media) = prepared.result, media.workFolder != nil { break }
        }
        var left = try FileManager.default.contentsOfDirectory(atPath: work.path)
        for _ in 0..<500 where !left.isEmpty {
            try await Task.sleep(nanoseconds: 10_000_000)
            left = try FileManager.default.contentsOfDirectory(atPath: work.path)
        }
        #expect(left.isEmpty)
    }

    /// The work folder's owner: removed with the last copy (parts included), at once by
    /// `removeFiles()`, never once `keepFiles()` took it.
    @Test func workFolderOwnership() async throws {
        let work = try TemporaryFolder()
        let preparer = Preparer(videoOptions: try VideoOptions(frames: .keyframes))
        var kept: String?
        do {
            let video = try await preparer.prepare(URL(fileURLWithPath: Fixture.video("h264.mp4")), workFolder: work.url)
            let folder = try #require(video.workFolder)
            var copy = video
            copy.diagnostics = []
            #expect(FileManager.default.fileExists(atPath: folder) && !copy.frames.isEmpty)
            copy.removeFiles()
            #expect(!FileManager.default.fileExists(atPath: folder))
            let other = try await preparer.prepare(URL(fileURLWithPath: Fixture.video("vp9.webm")), workFolder: work.url)
            kept = other.keepFiles()
        }
        let folder = try #require(kept)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == [URL(fileURLWithPath: folder).lastPathComponent])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).contains("video.mp4"))
    }

    /// The window: with 2 jobs, nothing starts past the 2 after the one consumed; a consumer that
    /// stops reading stops the work.
    @Test func orderedWindowIsBoundedAndLazy() async throws {
        final class Counter: @unchecked Sendable {
            private let lock = NSLock()
            private var value = 0
            func add() { lock.withLock { value += 1 } }
            var count: Int { lock.withLock { value } }
        }
        let started = Counter()
        let window = OrderedWindow(count: 100, window: 2) { index in
            started.add()
            try? await Task.sleep(nanoseconds: UInt64((index % 3) * 5_000_000))
            return index
        }
        #expect(started.count == 0)  // lazy
        var seen: [Int] = []
        for await index in window {
            seen.append(index)
            if seen.count == 5 { break }
        }
        #expect(seen == [0, 1, 2, 3, 4])  // in order
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(started.count <= 6)  // 5 consumed and at most one ahead
    }

    /// Options are checked when made, naming the parameter (not a CLI flag).
    @Test func optionsAreCheckedWhenMade() async throws {
        #expect(throws: OptionsError("quality", "is 0; allowed 1–100")) { try ImageOptions(quality: 0) }
        #expect(throws: OptionsError.self) { try VideoOptions(maxFrames: 0) }
        var options = ImageOptions()
        options.quality = 101  // changed after: refused when used
        do {
            _ = try await Preparer(imageOptions: options).prepare(URL(fileURLWithPath: Fixture.image("png-rgb.png")))
            Issue.record("quality 101 was used")
        } catch {
            guard case .options(let problem) = error else { Issue.record("\(error)"); return }
            #expect(problem.parameter == "quality")
        }
    }
}
