import Foundation

// `error.localizedDescription` in an app reads the message — the file, the stage, the cause — not
// Foundation's "The operation could not be completed. (KimiMedia.KimiMediaError error 0.)".
extension KimiMediaError: LocalizedError {
    public var errorDescription: String? { description }
}

extension RequestBuildError: LocalizedError {
    public var errorDescription: String? { description }
}

extension ShardError: LocalizedError {
    public var errorDescription: String? { description }
}
