// swift-tools-version: 6.1
// In-process micro-benchmarks for kimi-media (probe and image stages), kept as a package of their own
// so the main package builds without ordo-one/benchmark. Run: `make bench-micro` (or
// `swift package --disable-sandbox benchmark` here).
import Foundation
import PackageDescription

// `.package(path: "../..")` is identified by its folder name, not its manifest name: derive it so a
// clone into any folder works.
let parent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "kimi-media-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ProbeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KimiMedia", package: parent),
            ],
            path: "Benchmarks/Probe",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ImageBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KimiMedia", package: parent),
            ],
            path: "Benchmarks/Image",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
