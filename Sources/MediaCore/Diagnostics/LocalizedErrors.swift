import Foundation

// `error.localizedDescription` in an app reads the message ("decode: IMG_1.HEIC: …"), not Foundation's
// "The operation could not be completed. (MediaCore.MediaError error 1.)".
extension MediaError: LocalizedError {
    public var errorDescription: String? { description }
}

extension OptionsError: LocalizedError {
    public var errorDescription: String? { description }
}
