import CFFmpegLoader
import Dispatch
import MediaCore

extension FrameExtractor {
    /// Converts and encodes frames beside the decode loop (JPEG encoding was that loop's critical
    /// path: ~10 ms a 1080p frame), on `width` threads at once, with at most `width + 1` frames
    /// queued. Finished frames are handed back to the decode loop's thread in the order they were
    /// submitted, so `onFrame` only ever runs there and sees them in order.
    /// More than one thread: a video's last frames, and turned frames (converted, turned and
    /// encoded: ~10 ms each, more than a keyframe's decode on the other threads), no longer wait
    /// for one encoder while the other cores idle. `--dedupe` compares each frame with the last
    /// one kept, so it runs on one thread.
    final class FrameEncoder: @unchecked Sendable {
        private let queue: DispatchQueue
        private let slots: DispatchSemaphore
        private let group = DispatchGroup()
        private let results = Locked(Results())
        /// Compressors not in use; a thread takes one (or makes one) per frame.
        private let encoders = Locked<[JPEGCodec.Encoder]>([])
        private let dedupe: Double?
        private var lastKept: [UInt8]?  // the signature of the last frame kept (`--dedupe`, one thread), on `queue` only
        /// Submissions so far: the order frames are handed back in (the decode loop's thread only).
        private var submitted = 0
        /// Frames dropped as near-duplicates (`--dedupe`: one thread, on `queue`); read after ``wait()``.
        private(set) var duplicates = 0

        /// Encoded frames by submission, handed back in order: `nil` for a dropped duplicate.
        struct Results {
            var pending: [Int: ExtractedFrame?] = [:]
            var next = 0
            var ready: [ExtractedFrame] = []
            var error: MediaError?

            mutating func complete(_ sequence: Int, _ frame: ExtractedFrame?) {
                pending[sequence] = .some(frame)
                while let entry = pending.removeValue(forKey: next) {
                    if let frame = entry { ready.append(frame) }
                    next += 1
                }
            }
        }

        /// `width`: frames converted and encoded at once (capped at 4: each one in flight holds a
        /// decoded frame); `dedupe`: the plan's threshold, which makes it one.
        init(width: Int, dedupe: Double?) {
            let width = dedupe == nil ? Swift.min(Swift.max(width, 1), 4) : 1
            self.dedupe = dedupe
            queue = DispatchQueue(label: "kimi-media.frame-encoder", attributes: width > 1 ? .concurrent : [])
            slots = DispatchSemaphore(value: width + 1)
        }

        /// Queues a decoded frame (a reference of its own) for conversion and encoding; blocks
        /// while the queue is full. Converting here rather than on the decode loop keeps the
        /// decoder's frame threads fed (a 4K→1080p Lanczos scale is ~20 ms).
        func submit(_ owned: OwnedFrame, index: Int, seconds: Double, keyframe: Bool, plan: VideoPlan, path: String,
                    converter: FrameConverter) {
            slots.wait()
            let sequence = submitted
            submitted += 1
            queue.async(group: group) { [self] in
                defer { slots.signal() }
                do throws(MediaError) {
                    var image: PixelImage
                    do throws(FFmpegError) {
                        image = try converter.convert(owned.frame, width: plan.resizeWidth, height: plan.resizeHeight,
                                                      orientation: plan.orientation)
                    } catch {
                        throw error.mediaError(path: path, stage: .decode, "cannot convert a frame")
                    }
                    owned.free()
                    if let threshold = dedupe {
                        let signature = FrameSignature.of(image)
                        if let last = lastKept, FrameSignature.distance(signature, last) <= threshold {
                            duplicates += 1
                            converter.recycle(image)
                            results.withLock { $0.complete(sequence, nil) }
                            return
                        }
                        lastKept = signature
                    }
                    let encoder: JPEGCodec.Encoder
                    if let idle = encoders.withLock({ $0.popLast() }) { encoder = idle } else { encoder = try JPEGCodec.Encoder(path: path) }
                    defer { encoders.withLock { $0.append(encoder) } }
                    let bytes = try encoder.encode(image, quality: plan.quality)
                    converter.recycle(image)
                    let frame = ExtractedFrame(
                        index: index, timestampSeconds: seconds, keyframe: keyframe,
                        image: EncodedImage(bytes: bytes, format: .jpeg, width: plan.width, height: plan.height,
                                            passthrough: false, diagnostics: []))
                    results.withLock { $0.complete(sequence, frame) }
                } catch {
                    owned.free()
                    results.withLock { $0.error = $0.error ?? error }
                }
            }
        }

        /// Frames encoded so far, in submission order (up to the first still being encoded);
        /// throws the encoder's first error.
        func finished() throws(MediaError) -> [ExtractedFrame] {
            let (frames, error) = results.withLock { state in
                defer { state.ready = [] }
                return (state.ready, state.error)
            }
            if let error { throw error }
            return frames
        }

        func wait() { group.wait() }
    }
}
