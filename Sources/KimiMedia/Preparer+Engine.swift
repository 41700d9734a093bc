import Foundation
import MediaCodecs
import MediaCore

// The per-file engine: one input, probed, becomes one ``PreparedMedia`` — an image's bytes in
// memory, or a video's frames and file(s) in a folder of its own. The library's `prepare` runs it
// into the temporary directory; the batch runs it into a hidden folder of its output folder, then
// renames that folder into place and makes the manifest line from the result.
//
//   MediaInfo ─plan─▶ ImagePlan ─decode·resize·encode─▶ bytes                    ─▶ PreparedMedia
//             └plan─▶ VideoPlan (cuts on keyframes) ─frames─▶ frame-000001.jpg…  ─▶ PreparedMedia
//                                                   └video─▶ video.mp4 | part-001.mp4…

extension Preparer {
    /// Where the engine writes a video's files.
    struct Destination: Sendable {
        /// The folder the video's own folder is made in.
        var root: String
        /// The video's folder is `root/<prefix><UUID>`.
        var prefix: String
        /// A video the API takes as it is is copied into the folder (the batch's outputs), rather
        /// than sent from where it is (the library's).
        var copiesOriginal: Bool

        /// The library's: `kimi-media-<UUID>` under `root`; a compliant video is sent from where it is.
        static func library(_ root: String) -> Destination { Destination(root: root, prefix: "kimi-media-", copiesOriginal: false) }
    }

    /// The one per-file job, for the library and the batch: an image planned and made in memory, or
    /// a video's plan completed (its cuts on keyframes), its frames and its file or parts written
    /// into a new folder under `destination`. Synchronous, on the calling thread; cancellation
    /// (``OffPool``) stops it between frames and packets. A failure or a cancellation leaves nothing
    /// behind (the folder's owner goes with it); a video file that cannot be made keeps the frames
    /// already written, with a `video-failed` diagnostic.
    func prepareFile(path: String, name: String, info: MediaInfo, into destination: Destination) throws(MediaError) -> PreparedMedia {
        switch info.kind {
        case .image:
            if let tiles = tilePlan(for: info) { return try prepareTiles(path: path, name: name, info: info, tiles: tiles) }
            let prepared = try prepare(image: path, info: info)
            let image = prepared.image
            return PreparedMedia(source: name, info: info, plan: .image(prepared.plan), format: image.format, width: image.width,
                                 height: image.height, bytes: Int64(image.bytes.count), payload: .image(image.bytes),
                                 passthrough: image.passthrough, estimate: prepared.estimate, diagnostics: image.diagnostics)
        case .video:
            var plan = VideoPlan.make(for: info, options: videoOptions, profile: profile)
            if plan.needsKeyframes {
                plan.cut(onKeyframes: try VideoTranscoder.keyframeTimes(path: path, info: info, limits: probeOptions.limits), info: info,
                         profile: profile)
            }
            // Owned from its creation: whatever ends this call — a failure, a cancellation, a result
            // nobody takes — the folder goes with the last value that holds it.
            let owner: WorkFolder
            do { owner = try WorkFolder(creating: destination.root + "/" + destination.prefix + UUID().uuidString) } catch {
                throw MediaError(.io, path: destination.root, stage: .write,
                                 "cannot create a folder for the video's files: \(error.localizedDescription)")
            }
            return try withExtendedLifetime(owner) { () throws(MediaError) -> PreparedMedia in
                try prepareVideo(path: path, name: name, info: info, plan: plan, into: owner, copiesOriginal: destination.copiesOriginal)
            }
        }
    }

    /// An image cut into tiles (``TilePlan``): decoded once at the tiles' whole size, each tile
    /// cropped and encoded; the result's ``PreparedMedia/tiles`` in reading order.
    func prepareTiles(path: String, name: String, info: MediaInfo, tiles: TilePlan) throws(MediaError) -> PreparedMedia {
        let plan = ImagePlan.make(for: info, options: imageOptions, profile: profile, size: (tiles.width, tiles.height))
        let resampler = Resampler(filter: imageOptions.filter, threads: threads)
        let encoded = try ImagePipeline.runTiles(path: path, info: info, plan: plan, tiles: tiles, resampler: resampler,
                                                 limits: probeOptions.limits)
        let whole = ImagePlan.make(for: info, options: imageOptions, profile: profile)
        let note = Diagnostic(code: "tiled", stage: .plan, message: "cut into \(counted(tiles.tiles.count, "tile")) \(tiles.direction.rawValue), "
            + "\(tiles.tiles[0].width)×\(tiles.tiles[0].height) each, \(tiles.overlap) px shared: \(tiles.tokens) tokens "
            + "(whole, fitted to \(whole.width)×\(whole.height): \(TokenEstimate.image(width: whole.width, height: whole.height, profile: profile).tokens))")
        let parts = zip(encoded, tiles.tiles).map { image, tile in
            var part = PreparedMedia(source: name, info: info, plan: .image(plan), format: image.format, width: tile.width, height: tile.height,
                                     bytes: Int64(image.bytes.count), payload: .image(image.bytes), passthrough: false,
                                     estimate: TokenEstimate.image(width: tile.width, height: tile.height, profile: profile),
                                     diagnostics: image.diagnostics)
            part.tile = tile
            return part
        }
        var result = parts[0]
        result.tile = nil
        result.tiles = parts
        result.diagnostics = plan.diagnostics + [note]
        return result
    }

    /// Prepares one image file (synchronously, on the caller's thread). Throws a ``MediaError``
    /// naming the file and the stage.
    func prepare(image path: String) throws(MediaError) -> PreparedImage {
        let info = try MediaProber.probe(path: path, options: probeOptions)
        guard info.kind == .image else {
            throw MediaError(.invalidOptions, path: path, stage: .plan, "is a \(info.format.rawValue) video, not an image")
        }
        return try prepare(image: path, info: info)
    }

    /// Prepares an image already probed: planned, decoded, resized and encoded in memory.
    func prepare(image path: String, info: MediaInfo) throws(MediaError) -> PreparedImage {
        let plan = ImagePlan.make(for: info, options: imageOptions, profile: profile)
        let resampler = Resampler(filter: imageOptions.filter, threads: threads)
        let encoded = try ImagePipeline.run(path: path, info: info, plan: plan, resampler: resampler, limits: probeOptions.limits)
        guard Int64(encoded.bytes.count) <= imageOptions.maxBytes else {
            throw MediaError(.encodeFailed, path: path, stage: .encode,
                             "the prepared image is \(encoded.bytes.count) bytes, more than the budget of \(imageOptions.maxBytes)")
        }
        return PreparedImage(plan: plan, image: encoded,
                             estimate: TokenEstimate.image(width: encoded.width, height: encoded.height, profile: profile))
    }

    /// A video's frames, then its file (or parts), into `owner`'s folder.
    private func prepareVideo(path: String, name: String, info: MediaInfo, plan: VideoPlan, into owner: WorkFolder,
                              copiesOriginal: Bool) throws(MediaError) -> PreparedMedia {
        let folder = owner.path
        var frames: [PreparedFrame] = []
        let found = try FrameExtractor.extract(path: path, info: info, plan: plan, limits: probeOptions.limits,
                                               threads: threads) { frame throws(MediaError) in
            try OffPool.checkCancellation(path, .decode)
            let file = folder + String(format: "/frame-%06d.jpg", frame.index + 1)
            try AtomicFile.writeNew(frame.image.bytes, to: file)
            frames.append(PreparedFrame(path: file, seconds: frame.timestampSeconds, keyframe: frame.keyframe, width: frame.image.width,
                                        height: frame.image.height, bytes: frame.image.bytes.count,
                                        tokens: TokenEstimate.image(width: frame.image.width, height: frame.image.height, profile: profile).tokens))
        }
        var diagnostics = plan.diagnostics + found
        try OffPool.checkCancellation(path, .encode)
        var files: [PreparedMedia] = []
        do throws(MediaError) {
            (files, diagnostics) = try writeVideo(path, name: name, info: info, plan: plan, into: folder, copiesOriginal: copiesOriginal,
                                                  diagnostics: diagnostics)
            // A cancellation the writer took for the end of its input must not pass for a whole video.
            try OffPool.checkCancellation(path, .encode)
        } catch {
            // A file that could not be written (disk full, a size limit, the folder gone) fails the
            // input, so that a rerun makes it; a video that cannot be made keeps its frames.
            guard !frames.isEmpty, error.code != .cancelled, !(error.code == .io && error.stage == .write) else { throw error }
            let written = Set(frames.map { URL(fileURLWithPath: $0.path).lastPathComponent })
            for leftover in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where !written.contains(leftover) {
                try? FileManager.default.removeItem(atPath: folder + "/" + leftover)
            }
            diagnostics.append(Diagnostic(code: "video-failed", stage: error.stage,
                                          message: "no video file: \(error.code.rawValue): \(error.description); the frames are kept"))
        }
        guard var whole = files.first else {
            // No video file (none asked for, or it failed): the frames, and the original as the payload.
            return PreparedMedia(source: name, info: info, plan: .video(plan), format: info.format, width: info.width, height: info.height,
                                 bytes: info.bytes, payload: .video(path: path), passthrough: false, frames: frames, estimate: plan.estimate,
                                 diagnostics: diagnostics, folder: frames.isEmpty ? nil : owner)
        }
        let sentFromHere = files.contains { if case .video(let file) = $0.payload { file.hasPrefix(folder + "/") } else { false } }
        whole.frames = frames
        whole.diagnostics = diagnostics
        whole.folder = frames.isEmpty && !sentFromHere ? nil : owner
        if whole.segment != nil {
            whole.parts = files.map { var part = $0; part.folder = whole.folder; return part }
            whole.segment = nil
        }
        return whole
    }

    /// Writes the video file the plan calls for into `folder`: the parts of a split video, an H.264
    /// MP4 (`video.mp4`), or the original copied (`copiesOriginal`) or sent from where it is; no
    /// file when the plan wants none. Returns the files (one, or the parts in order) and the
    /// diagnostics with the writer's own added.
    func writeVideo(_ path: String, name: String, info: MediaInfo, plan: VideoPlan, into folder: String, copiesOriginal: Bool,
                    diagnostics: [Diagnostic]) throws(MediaError) -> ([PreparedMedia], [Diagnostic]) {
        let encode = plan.encode
        func file(_ payload: String, format: MediaFormat, size: (width: Int, height: Int), bytes: Int64, estimate: TokenEstimate?,
                  passthrough: Bool = false, segment: PreparedMedia.Segment? = nil) -> PreparedMedia {
            PreparedMedia(source: name, info: info, plan: .video(plan), format: format, width: size.width, height: size.height, bytes: bytes,
                          payload: .video(path: payload), passthrough: passthrough, estimate: estimate, segment: segment)
        }
        if let segments = plan.segments, segments.parts.count > 1 {
            var diagnostics = diagnostics, parts: [PreparedMedia] = []
            for part in segments.parts {
                var partPlan = encode
                partPlan.startSeconds = part.startSeconds
                // The last part runs to the end of the stream (no frame is lost to a rounded duration).
                partPlan.maxDurationSeconds = part.index == segments.parts.count ? nil : part.durationSeconds
                let target = folder + String(format: "/part-%03d.mp4", part.index)
                let (result, bytes, estimate) = try transcode(path, info: info, plan: plan, encode: partPlan, to: target)
                diagnostics += result.diagnostics
                if let tokens = estimate?.tokens, tokens > segments.budget {
                    diagnostics.append(Diagnostic(code: "over-budget", stage: .encode,
                                                  message: "\(URL(fileURLWithPath: target).lastPathComponent) holds \(counted(result.frames, "frame")), "
                                                      + "\(counted(tokens, "token")): over the part budget of \(segments.budget)"))
                }
                parts.append(file(target, format: .mp4, size: plan.upright(result.width, result.height), bytes: bytes, estimate: estimate,
                                  segment: .init(index: part.index, count: segments.parts.count, startSeconds: part.startSeconds,
                                                 endSeconds: part.endSeconds)))
            }
            diagnostics.append(Diagnostic(code: "video-split", stage: .encode,
                                          message: String(format: "%d parts (%@, video %@), each ≤ %d tokens: ", parts.count,
                                                          segments.cut == .keyframes ? "cut on keyframes" : "cut exactly",
                                                          encode.video.rawValue, segments.budget)
                                              + encode.reasons.joined(separator: "; ")))
            return (parts, diagnostics)
        }
        let target = folder + "/video." + (encode.action == .write ? MediaFormat.mp4 : info.format).fileExtension
        switch encode.action {
        case .none:
            return ([], diagnostics)
        case .passthrough:
            guard copiesOriginal else {
                return ([file(path, format: info.format, size: (info.width, info.height), bytes: info.bytes, estimate: plan.estimate,
                              passthrough: true)], diagnostics)
            }
            do {
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: path, toPath: target)
            } catch {
                throw MediaError(.io, path: target, stage: .write, "cannot copy the video: \(error.localizedDescription)")
            }
            return ([file(target, format: info.format, size: (info.width, info.height), bytes: info.bytes, estimate: plan.estimate,
                          passthrough: true)], diagnostics)
        case .write:
            let (result, bytes, estimate) = try transcode(path, info: info, plan: plan, encode: encode, to: target)
            var diagnostics = diagnostics + result.diagnostics
            diagnostics.append(Diagnostic(code: "video-written", stage: .encode,
                                          message: "H.264 MP4 written (video \(encode.video.rawValue), audio \(encode.audio.rawValue)): "
                                              + encode.reasons.joined(separator: "; ")))
            if bytes > videoOptions.maxBytes {
                diagnostics.append(Diagnostic(code: "over-budget", stage: .encode,
                                              message: "the written video is still \(bytes) bytes, over the budget of \(videoOptions.maxBytes)"))
            }
            return ([file(target, format: .mp4, size: plan.upright(result.width, result.height), bytes: bytes, estimate: estimate)], diagnostics)
        }
    }

    /// One re-encode or remux: the result, the file's size and the offline estimate of what it holds.
    func transcode(_ path: String, info: MediaInfo, plan: VideoPlan, encode: VideoEncodePlan,
                   to output: String) throws(MediaError) -> (TranscodedVideo, Int64, TokenEstimate?) {
        // A fixed number of x264 threads, whatever the cores, --jobs or load: x264's output
        // depends on its thread count (frame threads, lookahead), so a count that followed the
        // machine made the same clip come out in different bytes (resume checks, upload dedup
        // and `merge` rely on same input + options → same bytes).
        var settings = VideoTranscoder.Settings(threads: VideoTranscoder.Settings.reproducibleThreads)
        if encode.modelRate != nil { settings.crf = VideoTranscoder.Settings.modelRateCRF }
        let result = try VideoTranscoder.transcode(path: path, info: info, plan: encode, to: output, limits: probeOptions.limits,
                                                   settings: settings)
        let bytes = FileSize.of(output) ?? 0
        let size = plan.upright(result.width, result.height)
        // The written file's rate: the model-rate grid's, else the source's (under --max-fps).
        let fps = encode.modelRate?.fps ?? min(info.frameRate ?? 0, encode.maxFPS ?? .infinity)
        let estimate = result.frames > 0 && fps > 0
            ? TokenEstimate.video(frames: result.frames, fps: fps, width: size.width, height: size.height, profile: profile) : nil
        return (result, bytes, estimate)
    }
}

/// A prepared image in memory: what was planned, the bytes to send and their cost (the image half
/// of the engine, before it becomes a ``PreparedMedia``).
struct PreparedImage: Sendable {
    var plan: ImagePlan
    var image: EncodedImage
    /// Offline tokens of the image part: media plus wrapper (docs/kimi-api.md §2.4).
    var estimate: TokenEstimate
}
