import Foundation
import KimiAPI
import KimiMedia

/// One media part of a client's request: where it is in the JSON and what its URL names.
struct MediaPart: Sendable {
    enum Source: Sendable {
        /// A data URL, decoded into a file as the body arrived.
        case spooled(SpooledMedia)
        /// A file on this machine, resolved (links followed) inside an allowed directory.
        case file(String)
        /// An `ms://` id: passed through as it is.
        case reference(String)
    }

    var message: Int
    var part: Int
    /// `image_url` or `video_url`.
    var type: String
    /// `{"url": …}` (OpenAI's form) rather than a bare string.
    var objectForm: Bool
    var source: Source

    var field: String { "messages[\(message)].content[\(part)].\(type).url" }
    var declaredKind: MediaKind { type == "video_url" ? .video : .image }
}

/// Reading and rewriting a client's chat (or estimate) body: its media parts found, each URL
/// resolved to a source, and the body written again with new URLs — every other field as the client
/// sent it.
enum ChatMedia {
    /// The media parts of `tree` (`messages[].content[]` parts of type `image_url` or `video_url`),
    /// each URL resolved; a URL the gateway cannot take is refused naming its field.
    static func parts(of tree: JSONValue, spooled: [SpooledMedia], allowed: [String]) throws(GatewayError) -> [MediaPart] {
        guard case .object(let root) = tree else { throw .invalid("the body is not a JSON object") }
        guard case .array(let messages)? = root["messages"] else {
            throw .invalid("messages is missing (an array of messages is required)", param: "messages")
        }
        let byPlaceholder = Dictionary(spooled.map { ($0.placeholder, $0) }, uniquingKeysWith: { a, _ in a })
        var found: [MediaPart] = []
        for (m, message) in messages.enumerated() {
            guard case .object(let fields) = message, case .array(let content)? = fields["content"] else { continue }
            for (p, part) in content.enumerated() {
                guard case .object(let object) = part, case .string(let type)? = object["type"], type == "image_url" || type == "video_url" else {
                    continue
                }
                let url: String, objectForm: Bool
                switch object[type] {
                case .string(let text)?: (url, objectForm) = (text, false)
                case .object(let inner)?:
                    guard case .string(let text)? = inner["url"] else {
                        throw .invalid("messages[\(m)].content[\(p)].\(type).url is missing", param: "messages[\(m)].content[\(p)].\(type).url")
                    }
                    (url, objectForm) = (text, true)
                default: throw .invalid("messages[\(m)].content[\(p)].\(type) is missing", param: "messages[\(m)].content[\(p)].\(type)")
                }
                var media = MediaPart(message: m, part: p, type: type, objectForm: objectForm, source: .reference(url))
                media.source = try source(of: url, field: media.field, spooled: byPlaceholder, allowed: allowed)
                found.append(media)
            }
        }
        return found
    }

    static func source(of url: String, field: String, spooled: [String: SpooledMedia], allowed: [String]) throws(GatewayError) -> MediaPart.Source {
        if let media = spooled[url] {
            if let problem = media.problem { throw .invalid("\(field): the data URL \(problem)", param: field) }
            return .spooled(media)
        }
        if url.hasPrefix("ms://") {
            guard url.count > 5 else { throw .invalid("\(field): ms:// has no file id", param: field) }
            return .reference(url)
        }
        if url.hasPrefix("file://") || url.hasPrefix("/") {
            let path = url.hasPrefix("file://") ? (URL(string: url)?.path ?? "") : url
            return .file(try allowedFile(path, field: field, allowed: allowed))
        }
        if url.hasPrefix("data:") { throw .invalid("\(field): only base64 data URLs are taken (data:TYPE;base64,…)", param: field) }
        if url.hasPrefix("http://") || url.hasPrefix("https://") {
            throw .invalid("\(field): web URLs are not fetched (the Moonshot API takes none either); send the bytes as a base64 data URL", param: field)
        }
        throw .invalid("\(field): not a base64 data URL, an ms:// id or a file path", param: field)
    }

    /// `path` resolved — every link followed, `..` undone — and accepted only when it is a regular
    /// file inside one of the `allowed` directories (themselves resolved). A file that does not exist
    /// and one outside are refused in the same words: the answer says nothing about what lies outside.
    static func allowedFile(_ path: String, field: String, allowed: [String]) throws(GatewayError) -> String {
        guard !allowed.isEmpty else {
            throw .invalid("\(field): local paths are off on this gateway (start it with --allow-dir DIR to allow files under DIR)", param: field)
        }
        let refused = GatewayError.invalid("\(field): \(path) is not a readable file inside the directories this gateway may read (--allow-dir)",
                                           param: field)
        guard let resolved = realpath(path, nil) else { throw refused }
        let real = String(cString: resolved)
        free(resolved)
        guard allowed.contains(where: { real.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else { throw refused }
        var status = stat()
        guard stat(real, &status) == 0, status.st_mode & S_IFMT == S_IFREG, access(real, R_OK) == 0 else { throw refused }
        return real
    }

    /// Whether a string of `tree` (a value or a key, as decoded) is one of the planner's placeholders:
    /// the body writer would put a medium's base64 in its place.
    static func holdsReserved(_ tree: JSONValue) -> Bool {
        let prefix = String(PayloadPlanner.placeholder(0).dropLast())
        switch tree {
        case .string(let text): return text.hasPrefix(prefix)
        case .array(let items): return items.contains(where: holdsReserved)
        case .object(let fields): return fields.contains { $0.key.hasPrefix(prefix) || holdsReserved($0.value) }
        default: return false
        }
    }

    /// `tree` with the URL of each part in `urls` (by its index in `parts`) replaced.
    static func setting(_ urls: [Int: String], of parts: [MediaPart], in tree: JSONValue) -> JSONValue {
        guard case .object(var root) = tree, case .array(var messages)? = root["messages"] else { return tree }
        for (index, url) in urls {
            let media = parts[index]
            guard case .object(var message) = messages[media.message], case .array(var content)? = message["content"],
                  case .object(var part) = content[media.part] else { continue }
            if media.objectForm, case .object(var inner)? = part[media.type] {
                inner["url"] = .string(url)
                part[media.type] = .object(inner)
            } else {
                part[media.type] = .string(url)
            }
            content[media.part] = .object(part)
            message["content"] = .array(content)
            messages[media.message] = .object(message)
        }
        root["messages"] = .array(messages)
        return .object(root)
    }

    /// Data URLs found outside media parts (in a text, a tool's arguments) go back as they came,
    /// re-encoded from their decoded bytes.
    /// They count against the body's text limit (`limit` bytes, as base64): they are held in memory.
    static func restoringStray(_ tree: JSONValue, spooled: [SpooledMedia], used: Set<String>, limit: Int) throws(GatewayError) -> JSONValue {
        let stray = spooled.filter { !used.contains($0.placeholder) }
        guard !stray.isEmpty else { return tree }
        let size = stray.reduce(Int64(0)) { $0 + ($1.bytes + 2) / 3 * 4 }
        guard size <= Int64(limit) else {
            throw .tooLarge("data URLs outside media parts hold \(size) bytes of base64, more than the \(limit) the body's text may")
        }
        var urls: [String: String] = [:]
        for media in stray {
            guard media.problem == nil, let data = FileManager.default.contents(atPath: media.path) else {
                throw .invalid("a data URL outside a media part \(media.problem ?? "cannot be read")")
            }
            urls[media.placeholder] = "data:\(media.mimeType);base64," + data.base64EncodedString()
        }
        func walk(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text): return urls[text].map { .string($0) } ?? value
            case .array(let items): return .array(items.map(walk))
            case .object(let fields): return .object(fields.mapValues(walk))
            default: return value
            }
        }
        return walk(tree)
    }
}
