import Foundation

/// Line-oriented writes to stdout/stderr that are safe to call from any task.
enum FileHandleOutput {
    case standardOutput, standardError

    func write(_ text: String) {
        let handle = self == .standardOutput ? FileHandle.standardOutput : FileHandle.standardError
        handle.write(Data(text.utf8))
    }
}
