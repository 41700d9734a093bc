import Foundation
import KimiAPI
import MediaCodecs
import MediaCore

/// Prepares media for a Kimi request: probe → plan → decode → resize → encode, with the offline
/// token count of what will be sent. One file, from a URL or bytes, or many in input order:
///
/// ```swift
/// let photo = try await Preparer().prepare(URL(fileURLWithPath: "IMG_0001.HEIC"))
/// print(photo.width, photo.height, photo.estimate?.tokens ?? 0)   // upright, ≤ 4096×2160, as JPEG
/// ```
///
/// The work runs on threads of its own (not Swift's cooperative pool) and stops promptly when the
/// calling task is cancelled, also in the middle of a video. Each file goes through the one per-file
/// engine (``prepareFile(path:name:info:into:)``), which the batch (``BatchPreparer``) runs too.
public struct Preparer: Sendable {
    public var probeOptions: ProbeOptions
    public var imageOptions: ImageOptions
    public var videoOptions: VideoOptions
    public var profile: ModelProfile
    /// Threads one file may use (decoder threads, the resize's row bands, the encoder). `nil`: the
    /// machine's cores for a single file, shared evenly when several are prepared at once
    /// (``threads(cores:beside:)``).
    public var threadsPerImage: Int?

    public init(probeOptions: ProbeOptions = ProbeOptions(), imageOptions: ImageOptions = ImageOptions(),
                videoOptions: VideoOptions = VideoOptions(), profile: ModelProfile = .kimiK26, threadsPerImage: Int? = nil) {
        self.probeOptions = probeOptions
        self.imageOptions = imageOptions
        self.videoOptions = videoOptions
        self.profile = profile
        self.threadsPerImage = threadsPerImage
    }

    /// Starts loading FFmpeg, which videos need, on another thread (its libraries bind every symbol
    /// at load: ~28 ms), so that the load overlaps the caller's own start — the CLI calls it when a
    /// video is named on its command line. Optional: the first video loads FFmpeg anyway. A process
    /// that calls it must call ``finishWarmUp()`` before it exits.
    public static func warmUpVideo() { FFmpegRuntime.loadInBackground() }

    /// Waits for the load ``warmUpVideo()`` started, if any. Call it before the process exits (the
    /// CLI does, on every exit path): libraries still loading while the exit runs their neighbours'
    /// destructors can abort the process.
    public static func finishWarmUp() { FFmpegRuntime.finishBackgroundLoad() }

    /// The one rule for threads per file: the cores shared evenly among the files running `beside`
    /// one another (itself included), at least one each.
    public static func threads(cores: Int = ProcessInfo.processInfo.activeProcessorCount, beside: Int) -> Int {
        max(1, cores / max(1, beside))
    }

    /// Threads for one file: ``threadsPerImage``, or this file's share of the machine.
    var threads: Int { threadsPerImage ?? Self.threads(beside: 1) }

    /// What the outputs are made by, as a short identity (`v2-` and 16 hex digits of the SHA-256 of
    /// the canonical JSON of the image and video options and the model profile): equal options,
    /// equal identity, in any process; a batch line made under another identity is redone when the
    /// batch resumes. Threads and limits leave it alone (the same input comes out in the same bytes
    /// whatever they are; a file a limit refused is redone anyway).
    public var outputIdentity: String {
        struct Shaping: Encodable {
            var image: ImageOptions
            var video: VideoOptions
            var profile: ModelProfile
        }
        let json = (try? JSONEncoder.canonical().encode(Shaping(image: imageOptions, video: videoOptions, profile: profile))) ?? Data()
        return "v2-" + SHA256.hex(Array(json)).prefix(16)
    }
}

extension Preparer {
    /// Prepares one file: probe → plan → decode → resize → encode (images, in memory), or the ≤ 2K
    /// video file and its frames (written into a new folder under `workFolder`, named by
    /// ``PreparedMedia/workFolder`` and removed with the last copy of the result unless you
    /// ``PreparedMedia/keepFiles()``). Runs off the cooperative pool and honours cancellation, also
    /// mid-video; a failure or a cancellation leaves nothing behind.
    public func prepare(_ url: URL, workFolder: URL = FileManager.default.temporaryDirectory) async throws(KimiMediaError) -> PreparedMedia {
        do { try imageOptions.validate(); try videoOptions.validate() } catch { throw .options(error) }
        let preparer = self, path = url.path, destination = Destination.library(workFolder.path)
        return try await OffPool.run(path: path) { () throws(MediaError) in
            try preparer.prepareFile(path: path, name: path, info: try MediaProber.probe(path: path, options: preparer.probeOptions),
                                     into: destination)
        }
    }

    /// Prepares media held in memory (`name` is used in messages and for its kind when the content
    /// does not say). The bytes are written once into the work folder for the decoders.
    public func prepare(_ data: Data, name: String = "input", workFolder: URL = FileManager.default.temporaryDirectory)
        async throws(KimiMediaError) -> PreparedMedia {
        do { try imageOptions.validate(); try videoOptions.validate() } catch { throw .options(error) }
        let preparer = self, root = workFolder.path
        return try await OffPool.run(path: name) { () throws(MediaError) in
            let staged: WorkFolder
            do { staged = try WorkFolder(creating: root + "/kimi-media-input-\(UUID().uuidString)") } catch {
                throw MediaError(.io, path: name, stage: .read, "cannot stage the bytes in \(root): \(error.localizedDescription)")
            }
            let base = URL(fileURLWithPath: name).lastPathComponent
            let file = staged.path + "/" + (base.isEmpty ? "input" : base)
            do { try data.write(to: URL(fileURLWithPath: file)) } catch {
                throw MediaError(.io, path: name, stage: .read, "cannot stage the bytes in \(root): \(error.localizedDescription)")
            }
            return try withExtendedLifetime(staged) { () throws(MediaError) -> PreparedMedia in
                let info = try MediaProber.probe(path: file, options: preparer.probeOptions)
                return Self.keepStaged(file, in: staged, for: try preparer.prepareFile(path: file, name: name, info: info,
                                                                                      into: .library(root)))
            }
        }
    }

    /// The staged copy of in-memory bytes goes with its folder, unless it is what is sent (a
    /// compliant video passed through): then it moves into the prepared media's own folder, or its
    /// folder becomes the prepared media's.
    static func keepStaged(_ file: String, in staged: WorkFolder, for prepared: PreparedMedia) -> PreparedMedia {
        guard case .video(let sent) = prepared.payload, sent == file else { return prepared }
        var kept = prepared
        if let own = prepared.folder {
            let target = own.path + "/" + URL(fileURLWithPath: file).lastPathComponent
            if (try? FileManager.default.moveItem(atPath: file, toPath: target)) != nil {
                kept.payload = .video(path: target)
                return kept
            }
        }
        kept.folder = staged
        return kept
    }

    /// Prepares many files, `jobs` at a time (default: one per core, the cores shared among them),
    /// as an asynchronous sequence of results in input order; at most `jobs` are started ahead of
    /// the consumer, so one that stops reading stops the work, and cancelling it cancels the files
    /// in flight. A failure is a result; the others go on.
    public func prepare(_ urls: [URL], jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                        workFolder: URL = FileManager.default.temporaryDirectory) -> OrderedWindow<PreparedResult> {
        var shared = self
        shared.threadsPerImage = threadsPerImage ?? Self.threads(beside: min(max(1, jobs), max(1, urls.count)))
        let preparer = shared
        return OrderedWindow(count: urls.count, window: jobs) { index in
            do throws(KimiMediaError) {
                return PreparedResult(url: urls[index], result: .success(try await preparer.prepare(urls[index], workFolder: workFolder)))
            } catch {
                return PreparedResult(url: urls[index], result: .failure(error))
            }
        }
    }
}

extension Preparer {
    /// The offline tokens of what ``prepare(_:workFolder:)`` will send for a probed input, without
    /// preparing it: an image at its planned size (upright, fitted to the box or the model's size),
    /// a video as the file its plan writes (fitted, rate-limited, within its budget). For the file as
    /// it is, see `TokenEstimate.of(_:profile:)`.
    public func estimate(_ info: MediaInfo) throws(MediaError) -> TokenEstimate {
        switch info.kind {
        case .image:
            let plan = ImagePlan.make(for: info, options: imageOptions, profile: profile)
            return TokenEstimate.image(width: plan.width, height: plan.height, profile: profile)
        case .video:
            if let sent = VideoPlan.make(for: info, options: videoOptions, profile: profile).sentEstimate(for: info, profile: profile) {
                return sent
            }
            return try TokenEstimate.of(info, profile: profile)
        }
    }

    /// The tiles an image is cut into under these options (`imageOptions.tiles`), or `nil` when it
    /// is sent whole: the one rule for `prepare`, `estimate` and `request`.
    public func tilePlan(for info: MediaInfo) -> TilePlan? {
        guard info.kind == .image, let options = imageOptions.tiles else { return nil }
        return TilePlan.make(width: info.width, height: info.height, box: imageOptions.box, options: options, profile: profile)
    }

    /// A total budget shared among the files and folders `paths` (`--budget-total` of a batch or an
    /// estimate): every input probed from its headers (`jobs` at a time), then
    /// ``videoBudgets(for:total:fixed:)``; each video's share by its path.
    public func videoBudgets(forPaths paths: [String], total: Int, jobs: Int = ProcessInfo.processInfo.activeProcessorCount)
        async throws(MediaError) -> [String: Int] {
        var probed: [(path: String, info: MediaInfo?)] = []
        for await result in Prober(options: probeOptions).probe(inputs: paths, jobs: jobs) { probed.append((result.path, result.info)) }
        let budgets = try videoBudgets(for: probed.map(\.info), total: total)
        return Dictionary(zip(probed.map(\.path), budgets).compactMap { path, budget in budget.map { (path, $0) } }, uniquingKeysWith: min)
    }

    /// A total budget shared (`--budget-total`): the budget of each video among `inputs` (`nil` for
    /// images, unreadable files and videos whose cost is unknown), after `fixed` tokens (the
    /// prompt's text) and the images' own estimates, by ``VideoBudget/shares(total:fixed:videos:)``
    /// — by weight, no video below its floor under these options' `keep`.
    public func videoBudgets(for inputs: [MediaInfo?], total: Int, fixed: Int = 0) throws(MediaError) -> [Int?] {
        var fixed = fixed
        var videos: [(index: Int, cost: Int, floor: Int)] = []
        for (i, info) in inputs.enumerated() {
            guard let info, let estimate = try? TokenEstimate.of(info, profile: profile) else { continue }
            guard info.kind == .video else {
                fixed += estimate.tokens
                continue
            }
            let plan = VideoPlan.make(for: info, options: videoOptions, profile: profile)
            let fps = info.frameRate ?? 0
            let frames = info.frameCount ?? Int(((info.durationSeconds ?? 0) * fps).rounded())
            let floor = VideoBudget.floor(frames: frames, fps: fps, width: plan.width, height: plan.height, keep: videoOptions.keep,
                                          profile: profile)
            videos.append((i, estimate.tokens, min(floor, estimate.tokens)))
        }
        guard let shares = VideoBudget.shares(total: total, fixed: fixed, videos: videos.map { ($0.cost, $0.floor) }) else {
            throw MediaError(.invalidOptions, path: "--budget-total", stage: .plan,
                             "the text and the images alone cost \(fixed) tokens, not less than the total budget of \(total): nothing is left for the videos")
        }
        var budgets = [Int?](repeating: nil, count: inputs.count)
        for (video, share) in zip(videos, shares) { budgets[video.index] = share }
        return budgets
    }
}
