import Foundation
import MediaCodecs
import MediaCore

/// Expands command-line inputs into the files to work on: files as given, folders walked
/// recursively in sorted order, keeping the files that are media by content: a media extension
/// (``MediaExtensions``) selects a file without reading it, any other file is kept when its first
/// bytes are an image or video format kimi-media reads (``MediaProber/looksLikeMedia(path:)``) —
/// the same decision as for a file named on the command line.
///
/// Hidden entries (names starting with ".") inside folders are skipped unless `hidden`; symbolic
/// links to files are followed, links to folders are not (so a link loop cannot trap the walk).
/// Files without a media extension are left out, or listed as ``Input/unsupported`` when asked.
public enum InputWalker {
    /// One input: a file to work on, or a path that could not be read (reported, not fatal).
    public enum Input: Sendable, Hashable {
        /// A file, with its path relative to the folder it was found in (its name when given directly).
        case file(String, relative: String)
        case unreadable(String, MediaError.Summary)
        /// A file in a walked folder that is not media by its content.
        case unsupported(String, relative: String)

        public var path: String {
            switch self {
            case .file(let p, _), .unreadable(let p, _), .unsupported(let p, _): p
            }
        }

        /// The path below the folder it was found in.
        public var relative: String {
            switch self {
            case .file(_, let r), .unsupported(_, let r): r
            case .unreadable(let p, _): URL(fileURLWithPath: p).lastPathComponent
            }
        }
    }

    public static func expand(_ paths: [String], hidden: Bool = false, unsupported: Bool = false) -> [Input] {
        var inputs: [Input] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                let error = MediaError(.io, path: path, stage: .read, "no such file or folder")
                inputs.append(.unreadable(path, error.summary))
                continue
            }
            if isDirectory.boolValue {
                walk(path, root: path, hidden: hidden, unsupported: unsupported, into: &inputs)
            } else {
                inputs.append(.file(path, relative: URL(fileURLWithPath: path).lastPathComponent))
            }
        }
        return inputs
    }

    private static func walk(_ folder: String, root: String, hidden: Bool, unsupported: Bool, into inputs: inout [Input]) {
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            let failure = MediaError(.io, path: folder, stage: .read, "cannot list the folder: \(error.localizedDescription)")
            inputs.append(.unreadable(folder, failure.summary))
            return
        }
        for name in names where hidden || !name.hasPrefix(".") {
            if name.hasPrefix(".kimi-media-") { continue }  // our own temporary files
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            guard let attributes = try? manager.attributesOfItem(atPath: path) else { continue }
            let type = attributes[.type] as? FileAttributeType
            if type == .typeDirectory {
                walk(path, root: root, hidden: hidden, unsupported: unsupported, into: &inputs)
            } else if type == .typeRegular || (type == .typeSymbolicLink && isRegularFile(path)) {
                let relative = String(path.dropFirst(root.count).drop { $0 == "/" })
                if MediaExtensions.isMediaFile(named: name) || MediaProber.looksLikeMedia(path: path) {
                    inputs.append(.file(path, relative: relative))
                } else if unsupported {
                    inputs.append(.unsupported(path, relative: relative))
                }
            }
        }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
