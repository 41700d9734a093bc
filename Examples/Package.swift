// swift-tools-version: 6.1
// The library's documented code, compiled: every Swift snippet of README.md and docs/ is one of
// these programs, or a piece of one, word for word (`check-snippets.py` holds them to it), and
// `make test` builds them and runs them against the tests' stand-in for the Moonshot API.
// A starting point for an app too: this package depends on kimi-media by path, as yours would by URL.
import Foundation
import PackageDescription

// `.package(path: "..")` is identified by its folder name, not its manifest name: derive it so a
// clone into any folder works.
let parent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let examples = ["PrepareOne", "SplitLongVideo", "PrepareManyAndSend", "EstimateBeforeSending", "TwoImagesAndAVideo", "OtherEntryPoints"]

let package = Package(
    name: "kimi-media-examples",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: examples.map { name in
        .executableTarget(name: name, dependencies: [.product(name: "KimiMedia", package: parent)],
                          swiftSettings: [.swiftLanguageMode(.v6)])
    }
)
