// The model lives here, off the page's thread: loading, image decoding and every forward pass.
import { exposeRgeModel } from "@rge/core/web";

exposeRgeModel();
