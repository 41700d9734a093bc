import Benchmark
import Foundation
@_spi(Benchmarks) import KimiMedia

/// The image pipeline stage by stage, on a 24 MP (6000×4000) photo-like JPEG made once here by our
/// own encoder (gradients, sinusoids and grain), fitted to 4096×2160 (3240×2160).
let source: (path: String, info: MediaInfo, plan: ImagePlan) = {
    let width = 6000, height = 4000
    func plane(_ w: Int, _ h: Int, _ seed: Int) -> Plane {
        var state: UInt32 = UInt32(seed)
        return Plane(width: w, height: h, channels: 1) { x, y, _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            let v = 128 + 50 * sin(Double(x) / 97) * cos(Double(y) / 61) + Double(state >> 28) - 8
            return UInt8(max(0, min(255, v)))
        }
    }
    let image = PixelImage(layout: .ycbcr, planes: [plane(width, height, 1), plane(width / 2, height / 2, 2), plane(width / 2, height / 2, 3)])
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-bench-24mp.jpg").path
    let encodePlan = ImagePlan.make(
        for: MediaInfo(path: path, kind: .image, format: .jpeg, storedWidth: width, storedHeight: height, orientation: 1,
                       swapsDimensions: false, bytes: 1, accepted: true),
        options: try! ImageOptions(format: .jpeg, quality: 92))
    let bytes = try! ImageStages.encode(image, plan: encodePlan, path: path)
    try! AtomicFile.write(bytes, to: path)
    let info = try! Prober().probe(path: path)
    return (path, info, ImagePlan.make(for: info, options: ImageOptions()))
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(5),
        maxIterations: 30
    )
    let (path, info, plan) = source
    let decoded = try! ImageStages.decode(path: path, info: info, plan: plan)
    let resized = ImageStages.resize(decoded, plan: plan, resampler: Resampler())

    Benchmark("decode 24 MP JPEG to YCbCr planes") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try ImageStages.decode(path: path, info: info, plan: plan)) }
    }
    Benchmark("resize 24 MP YCbCr to 3240x2160 (Lanczos-3, 1 thread)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(ImageStages.resize(decoded, plan: plan, resampler: Resampler())) }
    }
    Benchmark("resize 24 MP YCbCr to 3240x2160 (Lanczos-3, 2 threads)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(ImageStages.resize(decoded, plan: plan, resampler: Resampler(threads: 2))) }
    }
    Benchmark("encode 3240x2160 JPEG q90 from YCbCr") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try ImageStages.encode(resized, plan: plan, path: path)) }
    }
    Benchmark("prepare 24 MP JPEG end to end") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try ImageStages.prepare(path: path, info: info)) }
    }
}
