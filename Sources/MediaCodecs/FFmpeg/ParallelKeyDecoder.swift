import CFFmpegLoader
import Foundation
import MediaCore

/// Keyframes decoded on several single-threaded decoders at once, each taking the next key packet
/// as it comes free: a keyframe is a picture of its own, so any decoder can take any one. Frame
/// threads cannot do this for VP9 or AV1: each frame's probability context must be adapted before
/// the next frame may start, so their frame threads decoded a clip's keyframes one after another
/// (10 1080p VP9 keyframes: 270 ms; ffmpeg's `-threads 2` the same), and H.264's and HEVC's frame
/// threads cost more than they gained on keyframes (4K HEVC: 377 → 317 ms this way). Each key
/// packet's frames are known when it is done — a decoder that holds frames back for reordering
/// (`has_b_frames` > 0) is drained and flushed after each — and handed on in packet order.
final class ParallelKeyDecoder: @unchecked Sendable {
    /// What decoding one packet gave: frames (new references, with their owners) and diagnostics.
    struct Result {
        var frames: [OwnedFrame] = []
        var diagnostics: [Diagnostic] = []
    }

    private let condition = NSCondition()
    private var queue: [(sequence: Int, packet: OwnedPacket)] = []
    private var results: [Int: Result] = [:]
    /// Frames the decoders still held when they were drained, after every packet.
    private var drained = Result()
    private var closed = false
    private var working: Int
    private let limit: Int

    /// Whether each packet is followed by a drain and a flush (decoders with a reordering delay).
    private let drainEach: Bool

    /// Starts a thread per decoder (each opened single-threaded; owned by its thread from here on).
    init(decoders: [StreamDecoder]) {
        working = decoders.count
        drainEach = decoders.contains { $0.context.pointee.has_b_frames > 0 }
        limit = 2 * decoders.count
        for decoder in decoders {
            let owned = Owned(decoder)
            let thread = Thread { [self] in run(owned.decoder) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private final class Owned: @unchecked Sendable {
        let decoder: StreamDecoder
        init(_ decoder: StreamDecoder) { self.decoder = decoder }
    }

    /// Queues a packet (a reference of its own) as number `sequence`; blocks while two per
    /// decoder wait already.
    func submit(_ packet: OwnedPacket, sequence: Int) {
        condition.lock()
        while queue.count >= limit { condition.wait() }
        queue.append((sequence, packet))
        condition.broadcast()
        condition.unlock()
    }

    /// Packet `sequence`'s result if it is done (without waiting), or after it is done.
    func result(_ sequence: Int, wait: Bool) -> Result? {
        condition.lock()
        defer { condition.unlock() }
        while wait && results[sequence] == nil { condition.wait() }
        return results.removeValue(forKey: sequence)
    }

    /// Ends the queue once every packet is taken; returns what the drained decoders still held
    /// once every thread has finished (the results of every packet must have been taken first).
    func finish() -> Result {
        condition.lock()
        closed = true
        condition.broadcast()
        while working > 0 { condition.wait() }
        defer {
            drained = Result()  // handed over
            condition.unlock()
        }
        return drained
    }

    /// Ends the threads (``finish()``) and drops every frame nobody took (their owners free them):
    /// after an extraction that stopped early. Nothing is left after a complete one.
    func shutdown() {
        _ = finish()
        condition.lock()
        results = [:]
        drained = Result()
        queue = []
        condition.unlock()
    }

    private func run(_ decoder: StreamDecoder) {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                break
            }
            let (sequence, packet) = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            var result = Result()
            do {
                while try !decoder.send(packet.pointer) { collect(decoder, into: &result) }
            } catch {
                result.diagnostics.append(Diagnostic(code: "frame-skipped", stage: .decode, message: "a packet was refused: \(error)"))
                decoder.reset()
            }
            collect(decoder, into: &result)
            if drainEach {
                // A decoder that holds frames back for reordering gives this packet's frame when
                // drained, and takes the next keyframe after a flush.
                _ = try? decoder.send(nil)
                collect(decoder, into: &result)
                decoder.reset()
            }
            condition.lock()
            results[sequence] = result
            condition.broadcast()
            condition.unlock()
        }
        var rest = Result()
        _ = try? decoder.send(nil)
        collect(decoder, into: &rest)
        condition.lock()
        drained.frames += rest.frames
        drained.diagnostics += rest.diagnostics
        working -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Every frame the decoder has ready, as references of their own.
    private func collect(_ decoder: StreamDecoder, into result: inout Result) {
        var frames: [OwnedFrame] = []
        decoder.receiveFrames(into: &result.diagnostics) { frame in
            if let reference = OwnedFrame(cloning: frame) { frames.append(reference) }
        }
        result.frames += frames
    }
}
