import Foundation

// `error.localizedDescription` reads the message (the key never appears in it), not Foundation's
// "The operation could not be completed. (KimiAPI.APIError error 1.)".
extension APIError: LocalizedError {
    public var errorDescription: String? { description }
}

extension ConfigurationError: LocalizedError {
    public var errorDescription: String? { description }
}
