import { describe, expect, it } from "vitest";
import { ChatTemplate } from "./chat-template.js";

const user = [{ role: "user" as const, content: "hi" }];

describe("ChatTemplate", () => {
  it("renders the messages and the generation prompt only when asked", () => {
    const template = new ChatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}");
    expect(template.render(user, true, {})).toBe("<user>hi<assistant>");
    expect(template.render(user, false, {})).toBe("<user>hi");
  });

  it("uses the template named default from a list of named templates", () => {
    const template = new ChatTemplate([{ name: "tool_use", template: "tools" }, { name: "default", template: "plain {{ messages | length }}" }]);
    expect(template.render(user, false, {})).toBe("plain 1");
  });

  it("fails on first render, not when built, for a missing, unnamed or broken template", () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /must be a non-empty string, found none/],
      ["", /must be a non-empty string/],
      [[{ name: "tool_use", template: "x" }], /none named "default" \(found: tool_use\)/],
      [[{ template: "x" }], /list of objects with "name" and "template"/],
      ["{% if %}", /./],
    ];
    for (const [field, message] of cases) {
      const template = new ChatTemplate(field);
      expect(() => template.render(user, true, {})).toThrow(message);
    }
  });
});
