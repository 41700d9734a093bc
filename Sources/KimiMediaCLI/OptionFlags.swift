import ArgumentParser
import KimiMedia

/// Library options made from flags: the library checks the ranges (``OptionsError`` names its
/// parameter); the CLI says which flag it was.
enum OptionFlags {
    static let flags = ["quality": "--quality", "maxSide": "--max-side", "maxFrames": "--max-frames", "minGapSeconds": "--min-gap",
                        "maxFPS": "--max-fps", "frames": "--frames", "maxBytes": "--max-bytes", "budget": "--budget", "dedupe": "--dedupe-threshold", "segments": "--segments"]

    static func make<Value>(_ body: () throws(OptionsError) -> Value) throws -> Value {
        do { return try body() } catch { throw ValidationError("\(flags[error.parameter] ?? error.parameter) \(error.message)") }
    }
}
