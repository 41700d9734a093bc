import Foundation
import FuzzHarness

// Built two ways. `make fuzz` builds with `-sanitize=fuzzer,address -D KIMI_MEDIA_FUZZER`: libFuzzer
// supplies `main` and calls `LLVMFuzzerTestOneInput` with each input, for the target named by
// `KIMI_MEDIA_FUZZ_TARGET`. A plain build is a replay tool: `kimi-media-fuzz TARGET FILE…` runs
// each file once and prints how it ended (what a found crash is reproduced with).

private func complain(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

#if KIMI_MEDIA_FUZZER
nonisolated(unsafe) private var harness: FuzzHarness?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["KIMI_MEDIA_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        complain("KIMI_MEDIA_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n")
        exit(2)
    }
    harness = FuzzHarness(target: target)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = harness?.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}
#else
@main
struct Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.count == 4, arguments[0] == "seeds", let target = FuzzTarget(rawValue: arguments[1]) {
            // `kimi-media-fuzz seeds TARGET FIXTURES CORPUS`: the target's fixture folders and its
            // built-in seeds into the corpus folder (files already there are kept).
            let (fixtures, corpus) = (arguments[2], arguments[3])
            let files = FileManager.default
            for folder in target.seedFolders {
                for name in (try? files.contentsOfDirectory(atPath: fixtures + "/" + folder)) ?? [] where !name.hasPrefix(".") {
                    try? files.copyItem(atPath: fixtures + "/" + folder + "/" + name, toPath: corpus + "/" + name)
                }
            }
            for (index, seed) in target.builtInSeeds.enumerated() {
                files.createFile(atPath: corpus + "/seed-\(index)", contents: seed)
            }
            return
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            complain("usage: kimi-media-fuzz {\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))} FILE…\n       kimi-media-fuzz seeds TARGET FIXTURES CORPUS\n")
            exit(2)
        }
        let harness = FuzzHarness(target: target)
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                complain("\(path): cannot read\n")
                exit(1)
            }
            print("\(path): \(harness.run(data))")
        }
    }
}
#endif
