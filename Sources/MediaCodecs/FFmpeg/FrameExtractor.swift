import CFFmpegLoader
import Dispatch
import MediaCore
import Synchronization

/// One frame taken from a video, encoded.
public struct ExtractedFrame: Sendable {
    public var index: Int
    public var timestampSeconds: Double
    public var keyframe: Bool
    public var image: EncodedImage
}

/// Takes frames out of a video as a ``VideoPlan`` says and hands each one, encoded, to `onFrame` as
/// soon as it exists: a few frames in flight whatever the video's length.
public enum FrameExtractor {
    /// Keyframes: the demuxer's packets are read in order and only those flagged
    /// `AV_PKT_FLAG_KEY` are sent to the decoder, as one stream of independent pictures (frame
    /// threads decode several at once), so no other frame is ever decoded (`skip_frame` alone is not
    /// enough: the VP9 and AV1 decoders ignore it). Streams that cannot continue after a skipped
    /// stretch are recovered by resetting the decoder on a refused packet.
    /// Damage after the start is a diagnostic; the frames before it are kept.
    /// `threads`: decoder threads (1 when files already run in parallel, one per core).
    public static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int = 1,
                               onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        let sink = FrameEncoder()
        defer { sink.wait() }  // never leave the encoder running past this call
        return try extract(path: path, info: info, plan: plan, limits: limits, threads: threads, sink: sink, onFrame: onFrame)
    }

    /// Encodes frames on a serial queue beside the decode loop (JPEG encoding was that loop's
    /// critical path: ~10 ms a 1080p frame), at most two ahead. Finished frames are handed back to
    /// the decode loop's thread, in order, so `onFrame` only ever runs there.
    final class FrameEncoder: @unchecked Sendable {
        private let queue = DispatchQueue(label: "kimi-media.frame-encoder")
        private let slots = DispatchSemaphore(value: 2)
        private let group = DispatchGroup()
        private let done = Mutex<(frames: [ExtractedFrame], error: MediaError?)>(([], nil))
        private var encoder: JPEGCodec.Encoder?  // touched on `queue` only

        /// Queues `image` for encoding (blocks while two frames are already queued).
        func submit(_ image: PixelImage, index: Int, seconds: Double, plan: VideoPlan, path: String, converter: FrameConverter) {
            slots.wait()
            queue.async(group: group) { [self] in
                defer { slots.signal() }
                do throws(MediaError) {
                    if encoder == nil { encoder = try JPEGCodec.Encoder(path: path) }
                    let bytes = try encoder!.encode(image, quality: plan.quality)
                    converter.recycle(image)
                    let frame = ExtractedFrame(
                        index: index, timestampSeconds: seconds, keyframe: true,
                        image: EncodedImage(bytes: bytes, format: .jpeg, width: plan.width, height: plan.height,
                                            passthrough: false, diagnostics: []))
                    done.withLock { $0.frames.append(frame) }
                } catch {
                    done.withLock { $0.error = $0.error ?? error }
                }
            }
        }

        /// Frames encoded so far, in order; throws the encoder's first error.
        func finished() throws(MediaError) -> [ExtractedFrame] {
            let (frames, error) = done.withLock { state in
                defer { state.frames = [] }
                return (state.frames, state.error)
            }
            if let error { throw error }
            return frames
        }

        func wait() { group.wait() }
    }

    private static func extract(path: String, info: MediaInfo, plan: VideoPlan, limits: MediaLimits, threads: Int,
                                sink: FrameEncoder, onFrame: (ExtractedFrame) throws(MediaError) -> Void) throws(MediaError) -> [Diagnostic] {
        func failure(_ message: String, _ cause: FFmpegError) -> MediaError {
            MediaError(.decodeFailed, path: path, stage: .decode, message, cause: cause)
        }
        guard let name = VideoProbe.demuxerName(info.format) else {
            throw MediaError(.unsupportedFormat, path: path, stage: .decode, "\(info.format.rawValue) is not a video container")
        }
        let demuxer: Demuxer
        let decoder: VideoDecoder
        let stream: UnsafeMutablePointer<AVStream>
        do {
            demuxer = try Demuxer(path: path, formatName: name, limits: limits)
            guard let video = demuxer.videoStream else {
                throw MediaError(.unsupportedFormat, path: path, stage: .decode, "has no video stream")
            }
            stream = video
            decoder = try VideoDecoder(stream: stream, threads: threads)
        } catch let error as FFmpegError {
            throw failure("cannot open the video", error)
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(.decodeFailed, path: path, stage: .decode, "cannot open the video")
        }
        demuxer.clearDeadline()
        // Demuxers that know their index (MP4/MOV/3GP, MKV/WebM, AVI, …) then skip the other
        // packets' bytes instead of reading them: the way below both ffmpeg forms. The key-flag
        // check below stays, for demuxers that ignore `discard`.
        for other in demuxer.streams { other.pointee.discard = other == stream ? AVDISCARD_NONKEY : AVDISCARD_ALL }
        let converter = FrameConverter()
        let timeBase = av_q2d(stream.pointee.time_base)
        let start = stream.pointee.start_time == KIMI_AV_NOPTS_VALUE ? 0 : stream.pointee.start_time
        var diagnostics: [Diagnostic] = []
        var index = 0
        var thinning = FrameThinning(plan: plan)
        let packet = decoder.packet

        func emitDecodedFrames() throws(MediaError) {
            while true {
                let step: DecodeStep
                do { step = try decoder.receive() } catch {
                    diagnostics.append(Diagnostic(code: "frame-skipped", stage: .decode, message: "a keyframe could not be decoded: \(error)"))
                    return
                }
                guard step == .frame else { return }
                let frame = decoder.frame
                defer { kimi_av_frame_unref(frame) }
                let pts = frame.pointee.best_effort_timestamp == KIMI_AV_NOPTS_VALUE ? frame.pointee.pts : frame.pointee.best_effort_timestamp
                let seconds = pts == KIMI_AV_NOPTS_VALUE ? 0 : max(0, Double(pts - start) * timeBase)
                var image: PixelImage
                do { image = try converter.convert(frame, width: plan.resizeWidth, height: plan.resizeHeight) } catch {
                    throw failure("cannot convert a frame", error)
                }
                image = image.oriented(plan.orientation)
                sink.submit(image, index: index, seconds: seconds, plan: plan, path: path, converter: converter)
                index += 1
                for done in try sink.finished() { try onFrame(done) }
            }
        }

        while true {
            let status = kimi_av_read_frame(demuxer.context, packet)
            if status == KIMI_AVERROR_EOF { break }
            if status < 0 {
                diagnostics.append(Diagnostic(code: "damaged", stage: .decode,
                                              message: "reading stopped after \(index) frames: \(FFmpegError(status, "av_read_frame"))"))
                break
            }
            defer { kimi_av_packet_unref(packet) }
            guard packet.pointee.stream_index == stream.pointee.index, packet.pointee.flags & KIMI_AV_PKT_FLAG_KEY != 0 else { continue }
            // Thinning decides on the packet's own timestamp, so dropped keyframes are never decoded.
            let stamp = packet.pointee.pts != KIMI_AV_NOPTS_VALUE ? packet.pointee.pts : packet.pointee.dts
            if stamp != KIMI_AV_NOPTS_VALUE, !thinning.keep(max(0, Double(stamp - start) * timeBase)) { continue }
            do {
                while try !decoder.send(packet) { try emitDecodedFrames() }
            } catch let error as FFmpegError {
                diagnostics.append(Diagnostic(code: "frame-skipped", stage: .decode, message: "a keyframe packet was refused: \(error)"))
                decoder.reset()
                continue
            } catch let error as MediaError {
                throw error
            } catch {
                throw MediaError(.decodeFailed, path: path, stage: .decode, "\(error)")
            }
            try emitDecodedFrames()
        }
        _ = try? decoder.send(nil)  // drain the frames still in the decoder
        try emitDecodedFrames()
        sink.wait()
        for done in try sink.finished() { try onFrame(done) }
        if index == 0 { throw MediaError(.decodeFailed, path: path, stage: .decode, "no keyframe could be decoded") }
        return diagnostics
    }
}
