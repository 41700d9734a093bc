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
///
/// Inputs cannot loop or repeat: folders in ``WalkOptions/skipFolders`` (the batch's output folder,
/// which holds its manifests) are never walked, and a file reached twice — named twice, as
/// `a.jpg` and `./a.jpg`, through a link, or as a hard link — is one input (the first).
public enum InputWalker {
    /// How inputs are expanded.
    public struct WalkOptions: Sendable, Hashable {
        /// Walk hidden files and folders too.
        public var hidden: Bool
        /// List non-media files found in folders (as ``Input/unsupported``) instead of leaving them out.
        public var unsupported: Bool
        /// Folders never walked, wherever they appear (compared with links resolved).
        public var skipFolders: [String]
        /// Glob patterns (`*`, `?`, `[…]`, as the shell's) for files found in folders, matched against
        /// the path below the walked folder and against the file name: a file is kept when it
        /// matches some `include` (or there is none) and no `exclude`. Files named directly are kept.
        public var include: [String]
        public var exclude: [String]

        public init(hidden: Bool = false, unsupported: Bool = false, skipFolders: [String] = [], include: [String] = [],
                    exclude: [String] = []) {
            self.hidden = hidden
            self.unsupported = unsupported
            self.skipFolders = skipFolders
            self.include = include
            self.exclude = exclude
        }

        func keeps(_ relative: String) -> Bool {
            let name = URL(fileURLWithPath: relative).lastPathComponent
            func matches(_ pattern: String) -> Bool { fnmatch(pattern, relative, 0) == 0 || fnmatch(pattern, name, 0) == 0 }
            return (include.isEmpty || include.contains(where: matches)) && !exclude.contains(where: matches)
        }
    }

    /// Reads a list of paths (`--files-from`): NUL-separated when the text has a NUL, else one per
    /// line; empty entries are dropped.
    public static func paths(fromList data: Data) -> [String] {
        let bytes = [UInt8](data)
        let separator: UInt8 = bytes.contains(0) ? 0 : 10
        return bytes.split(separator: separator, omittingEmptySubsequences: true).compactMap { entry in
            var entry = entry
            if separator == 10, entry.last == 13 { entry = entry.dropLast() }  // CRLF lists
            return entry.isEmpty ? nil : String(decoding: entry, as: UTF8.self)
        }
    }

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
        expand(paths, options: WalkOptions(hidden: hidden, unsupported: unsupported))
    }

    public static func expand(_ paths: [String], options: WalkOptions) -> [Input] {
        var walk = Walk(options: options)
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                let error = MediaError(.io, path: path, stage: .read, "no such file or folder")
                walk.inputs.append(.unreadable(path, error.summary))
                continue
            }
            if isDirectory.boolValue {
                walk.folder(path, root: path)
            } else if let why = notRegular(path) {
                // A pipe would block the read (and its hash) for ever; a device is not a file.
                walk.add(.unreadable(path, MediaError(.io, path: path, stage: .read, why).summary))
            } else {
                walk.add(.file(path, relative: URL(fileURLWithPath: path).lastPathComponent))
            }
        }
        return walk.inputs
    }

    /// One expansion's state: what was found, and what was seen (files by device and inode).
    struct Walk {
        let options: WalkOptions
        let skipped: Set<String>
        var inputs: [Input] = []
        var seen: Set<[UInt64]> = []

        init(options: WalkOptions) {
            self.options = options
            skipped = Set(options.skipFolders.compactMap(InputWalker.resolved))
        }

        /// Adds a file unless the same file (device and inode) is already in.
        mutating func add(_ input: Input) {
            var info = stat()
            if stat(input.path, &info) == 0, !seen.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted { return }
            inputs.append(input)
        }

        mutating func folder(_ path: String, root: String) {
            if let real = InputWalker.resolved(path), skipped.contains(real) { return }
            InputWalker.walk(path, root: root, into: &self)
        }
    }

    /// The path with links resolved and `.`/`..` removed; `nil` when it does not exist.
    static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    private static func walk(_ folder: String, root: String, into walk: inout Walk) {
        let hidden = walk.options.hidden, unsupported = walk.options.unsupported
        let manager = FileManager.default
        let names: [String]
        do {
            names = InputOrder.sorted(try manager.contentsOfDirectory(atPath: folder))
        } catch {
            let failure = MediaError(.io, path: folder, stage: .read, "cannot list the folder: \(error.localizedDescription)")
            walk.inputs.append(.unreadable(folder, failure.summary))
            return
        }
        for name in names where hidden || !name.hasPrefix(".") {
            if name.hasPrefix(".kimi-media-") { continue }  // our own temporary files
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            guard let attributes = try? manager.attributesOfItem(atPath: path) else { continue }
            let type = attributes[.type] as? FileAttributeType
            if type == .typeDirectory {
                walk.folder(path, root: root)
            } else if type == .typeSymbolicLink && isDirectory(path) {
                continue  // links to folders are not followed (no loops)
            } else {
                let relative = String(path.dropFirst(root.count).drop { $0 == "/" })
                guard walk.options.keeps(relative) else { continue }
                if let why = notRegular(path) {
                    // Listed (a batch accounts for every file it meets), never read.
                    if unsupported { walk.add(.unreadable(path, MediaError(.io, path: path, stage: .read, why).summary)) }
                } else if MediaExtensions.isMediaFile(named: name) || MediaProber.looksLikeMedia(path: path) {
                    walk.add(.file(path, relative: relative))
                } else if unsupported {
                    walk.add(.unsupported(path, relative: relative))
                }
            }
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Why `path` (links followed) is not a regular file to read, or `nil` when it is one.
    static func notRegular(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            var link = stat()
            return lstat(path, &link) == 0 ? "a link to nothing (broken symbolic link)" : "cannot read: \(String(cString: strerror(errno)))"
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: return "a pipe (FIFO), not a file: not read"
        case S_IFSOCK: return "a socket, not a file: not read"
        case S_IFCHR, S_IFBLK: return "a device, not a file: not read"
        default: return "not a regular file: not read"
        }
    }
}
