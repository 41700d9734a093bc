import Foundation
import MediaCore

/// Expands command-line inputs into the files to work on: files as given, folders walked
/// recursively in sorted order, keeping files whose extension is media (``MediaExtensions``).
///
/// Hidden entries (names starting with ".") inside folders are skipped; symbolic links to files are
/// followed, links to folders are not (so a link loop cannot trap the walk).
public enum InputWalker {
    /// One input: a file to work on, or a path that could not be read (reported, not fatal).
    public enum Input: Sendable, Hashable {
        /// A file, with its path relative to the folder it was found in (its name when given directly).
        case file(String, relative: String)
        case unreadable(String, MediaError.Summary)

        public var path: String {
            switch self {
            case .file(let p, _), .unreadable(let p, _): p
            }
        }
    }

    public static func expand(_ paths: [String]) -> [Input] {
        var inputs: [Input] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                let error = MediaError(.io, path: path, stage: .read, "no such file or folder")
                inputs.append(.unreadable(path, error.summary))
                continue
            }
            if isDirectory.boolValue {
                walk(path, root: path, into: &inputs)
            } else {
                inputs.append(.file(path, relative: URL(fileURLWithPath: path).lastPathComponent))
            }
        }
        return inputs
    }

    private static func walk(_ folder: String, root: String, into inputs: inout [Input]) {
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            let failure = MediaError(.io, path: folder, stage: .read, "cannot list the folder: \(error.localizedDescription)")
            inputs.append(.unreadable(folder, failure.summary))
            return
        }
        for name in names where !name.hasPrefix(".") {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            guard let attributes = try? manager.attributesOfItem(atPath: path) else { continue }
            let type = attributes[.type] as? FileAttributeType
            if type == .typeDirectory {
                walk(path, root: root, into: &inputs)
            } else if type == .typeRegular || (type == .typeSymbolicLink && isRegularFile(path)) {
                let relative = String(path.dropFirst(root.count).drop { $0 == "/" })
                if MediaExtensions.isMediaFile(named: name) { inputs.append(.file(path, relative: relative)) }
            }
        }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
