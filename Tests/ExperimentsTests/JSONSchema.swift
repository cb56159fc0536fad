import Data
import Foundation

/// A JSON Schema (draft 4) validator for the keywords the nbformat v4 schemas use: type, properties,
/// required, additionalProperties, patternProperties, items, enum, oneOf, not, $ref (local
/// "#/definitions/..."), minimum, maximum, minLength, maxLength and pattern ("format" is an annotation).
/// Errors name the JSON path.
struct JSONSchema {
    let root: JSONValue

    init(contentsOf url: URL) throws {
        root = try JSONValue(parsing: String(decoding: Data(contentsOf: url), as: UTF8.self))
    }

    /// Every violation found, as "path: what"; empty when the document is valid.
    func validate(_ value: JSONValue) -> [String] {
        var errors: [String] = []
        check(value, root, "$", &errors)
        return errors
    }

    private func resolve(_ schema: JSONValue) -> JSONValue {
        guard let ref = schema["$ref"]?.stringValue, ref.hasPrefix("#/") else { return schema }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") { node = node[String(part)] ?? .object([:]) }
        return resolve(node)
    }

    private func isType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("null", .null), ("boolean", .bool),
             ("integer", .int), ("number", .int), ("number", .double): return true
        case ("integer", .double(let d)): return d.rounded() == d
        default: return false
        }
    }

    private func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    private func number(_ value: JSONValue?) -> Double? { value?.doubleValue }

    private func check(_ value: JSONValue, _ raw: JSONValue, _ path: String, _ errors: inout [String]) {
        let schema = resolve(raw)
        if let type = schema["type"] {
            let types: [String]
            if case .array(let list) = type { types = list.compactMap(\.stringValue) } else { types = [type.stringValue ?? ""] }
            if !types.contains(where: { isType(value, $0) }) { errors.append("\(path): expected \(types.joined(separator: " or "))"); return }
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) { errors.append("\(path): not one of \(allowed)") }
        if let x = value.doubleValue {
            if let minimum = number(schema["minimum"]), x < minimum { errors.append("\(path): below \(minimum)") }
            if let maximum = number(schema["maximum"]), x > maximum { errors.append("\(path): above \(maximum)") }
        }
        if case .string(let text) = value {
            if let n = schema["minLength"]?.intValue, text.count < n { errors.append("\(path): shorter than \(n)") }
            if let n = schema["maxLength"]?.intValue, text.count > n { errors.append("\(path): longer than \(n)") }
            if let pattern = schema["pattern"]?.stringValue, !matches(text, pattern) { errors.append("\(path): does not match \(pattern)") }
        }
        if case .object(let object) = value {
            if case .array(let required)? = schema["required"] {
                for key in required.compactMap(\.stringValue) where object[key] == nil { errors.append("\(path): missing \(key)") }
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            let patterns = schema["patternProperties"]?.objectValue ?? [:]
            for (key, item) in object {
                var covered = false
                if let sub = properties[key] { check(item, sub, "\(path).\(key)", &errors); covered = true }
                for (pattern, sub) in patterns where matches(key, pattern) { check(item, sub, "\(path).\(key)", &errors); covered = true }
                guard !covered, let extra = schema["additionalProperties"] else { continue }
                if case .bool(false) = extra { errors.append("\(path): unexpected key \(key)") }
                if case .object = extra { check(item, extra, "\(path).\(key)", &errors) }
            }
        }
        if case .array(let array) = value, let items = schema["items"], case .object = items {
            for (i, item) in array.enumerated() { check(item, items, "\(path)[\(i)]", &errors) }
        }
        if case .array(let options)? = schema["oneOf"] {
            let passing = options.filter { option in var e: [String] = []; check(value, option, path, &e); return e.isEmpty }.count
            if passing != 1 { errors.append("\(path): matches \(passing) of the oneOf schemas, expected exactly 1") }
        }
        if let not = schema["not"] {
            var e: [String] = []
            check(value, not, path, &e)
            if e.isEmpty { errors.append("\(path): matches a schema it must not") }
        }
    }
}
