/// The one order of a batch's inputs, for the manifest of a run and for `merge` alike: by source
/// path, folder by folder (component by component, each compared by its UTF-8 bytes), which is the
/// order a folder walk meets them in — `in/a/x.jpg` before `in/a-b/y.png` (as strings, "a-b/" sorts
/// before "a/"). Paths named on a command line take their place in it too, so that shards merged
/// give the single run's manifest line for line.
public enum InputOrder {
    /// Whether `a` comes before `b`.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let x = a.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let y = b.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (p, q) in zip(x, y) where !p.elementsEqual(q) { return p.lexicographicallyPrecedes(q) }
        return x.count < y.count
    }

    /// Names in a folder, in this order.
    static func sorted(_ names: [String]) -> [String] { names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
}
