import Foundation

/// A minimal multipart/form-data reader for the stand-in.
enum Multipart {
    struct Field {
        var name: String
        var filename: String?
        var content: [UInt8]
    }

    static func parse(_ body: [UInt8], boundary: String) -> [Field] {
        let delimiter = Array("--\(boundary)".utf8)
        var fields: [Field] = []
        var starts: [Int] = []
        var i = 0
        while i + delimiter.count <= body.count {
            if body[i] == delimiter[0], body[i..<i + delimiter.count].elementsEqual(delimiter) {
                starts.append(i)
                i += delimiter.count
            } else {
                i += 1
            }
        }
        for (n, start) in starts.enumerated().dropLast() {
            var partStart = start + delimiter.count
            if partStart + 1 < body.count, body[partStart] == 13, body[partStart + 1] == 10 { partStart += 2 }
            var partEnd = starts[n + 1]
            if partEnd >= 2, body[partEnd - 2] == 13, body[partEnd - 1] == 10 { partEnd -= 2 }
            guard partStart < partEnd else { continue }
            let part = Array(body[partStart..<partEnd])
            guard let split = (0..<max(0, part.count - 3)).first(where: { part[$0] == 13 && part[$0 + 1] == 10 && part[$0 + 2] == 13 && part[$0 + 3] == 10 })
            else { continue }
            let headerText = String(decoding: part[..<split], as: UTF8.self)
            func attribute(_ key: String) -> String? {
                guard let range = headerText.range(of: "\(key)=\"") else { return nil }
                return String(headerText[range.upperBound...].prefix { $0 != "\"" })
            }
            guard let name = attribute("name") else { continue }
            fields.append(Field(name: name, filename: attribute("filename"), content: Array(part[(split + 4)...])))
        }
        return fields
    }
}
