import { rgeProject } from "../../vitest.shared.js";

export default rgeProject("server");
