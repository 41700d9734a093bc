// swift-tools-version: 6.1
import PackageDescription

// Debian 12 system libraries (installed by `make deps`). One system-library module per family;
// each module map links the family's other libraries (see docs/architecture.md). FFmpeg is the exception:
// CFFmpegLoader loads it on first use instead of linking it (see its header for why).
let systemLibraries: [Target] = [
    .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg"),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
    .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebpdemux"),
    .systemLibrary(name: "CGIF", path: "Sources/CGIF"),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
    .systemLibrary(name: "CDeflate", path: "Sources/CDeflate"),
    .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto"),
]

let package = Package(
    name: "kimi-media",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kimi-media", targets: ["kimi-media"]),
        .library(name: "KimiMedia", targets: ["KimiMedia"]),
        .library(name: "KimiAPI", targets: ["KimiAPI"]),
        .library(name: "MediaCore", targets: ["MediaCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The gateway (`kimi-media serve`): the HTTP server, its metrics and their Prometheus text.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: systemLibraries + [
        .target(name: "MediaCore"),
        .target(
            name: "MediaCodecs",
            dependencies: ["MediaCore", "CFFmpegLoader", "CHeifLoader", "CMapGuard", "CPixelKernels", "CJPEGDecoder", "CTIFFDecoder", "CTurboJPEG", "CPNG", "CWebP", "CGIF", "CZlib", "CDeflate"]
        ),
        .target(name: "CLibraryLoader"),
        .target(name: "CFFmpegLoader", dependencies: ["CLibraryLoader"]),
        .target(name: "CMapGuard"),
        .target(name: "CPixelKernels"),
        .target(name: "CHeifLoader", dependencies: ["CLibraryLoader"]),
        .target(name: "CJPEGDecoder", linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "CTIFFDecoder", linkerSettings: [.linkedLibrary("tiff")]),
        .target(
            name: "KimiAPI",
            dependencies: [
                "MediaCore", "CCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(name: "KimiMedia", dependencies: ["MediaCore", "MediaCodecs", "KimiAPI"]),
        .target(
            name: "KimiGateway",
            dependencies: [
                "KimiMedia", "KimiAPI", "MediaCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "KimiMediaCLI",
            dependencies: ["KimiMedia", "KimiGateway", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            plugins: ["GitVersion"]
        ),
        // `kimi-media --version`: the base version plus the commit, from git before each build.
        .plugin(name: "GitVersion", capability: .buildTool()),
        .executableTarget(name: "kimi-media", dependencies: ["KimiMediaCLI"]),

        .target(
            name: "TestSupport",
            dependencies: [
                "MediaCore", "MediaCodecs",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .executableTarget(name: "kimi-media-stand-in", dependencies: ["TestSupport"], path: "Tests/StandInServer"),
        // Fuzzing (`make fuzz`): the harnesses, and the libFuzzer / replay binary around them.
        .target(name: "FuzzHarness", dependencies: ["MediaCore", "MediaCodecs", "KimiMedia", "KimiAPI"], path: "Tests/Fuzz/Harness"),
        .executableTarget(name: "kimi-media-fuzz", dependencies: ["FuzzHarness"], path: "Tests/Fuzz/Runner"),
        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore", "TestSupport"]),
        .testTarget(name: "MediaCodecsTests", dependencies: ["MediaCodecs", "TestSupport"]),
        .testTarget(name: "KimiAPITests", dependencies: ["KimiAPI", "MediaCodecs", "TestSupport"]),
        .testTarget(name: "KimiMediaTests", dependencies: ["KimiMedia", "FuzzHarness", "TestSupport"]),
        .testTarget(name: "KimiGatewayTests", dependencies: ["KimiGateway", "KimiMedia", "TestSupport",
                                                             .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .testTarget(name: "KimiMediaCLITests", dependencies: ["KimiMediaCLI", "KimiMedia", "MediaCodecs", "TestSupport"]),
    ]
)

// One settings loop over every Swift target.
for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + [.swiftLanguageMode(.v6)]
}
