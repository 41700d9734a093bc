import Benchmark
import Foundation
import KimiMedia

/// The probe stage: header-only facts per file. One benchmark per kind of header walk, over the
/// committed fixtures (found from this file's location).
let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )
    let prober = Prober()
    let cases = [
        ("jpeg", "images/jpeg-orientation-6.jpg"), ("png", "images/png-rgba.png"),
        ("webp-animated", "images/webp-animated.webp"), ("gif-animated", "images/gif-animated.gif"),
        ("mp4", "video/h264.mp4"), ("webm", "video/vp9.webm"),
    ]
    for (name, file) in cases {
        let path = fixtures.appendingPathComponent(file).path
        Benchmark("probe \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try prober.probe(path: path))
            }
        }
    }
}
