// The pages' one script entry (base.html loads it as a module). Each behaviour is a
// module of its own that enhances the markup it finds under a root, by data-* hooks, and
// is safe to run twice; content added later (a feed page) is enhanced the same way.

import { enhanceDoubleTap, enhanceToggles } from "./actions.js";
import { enhanceConfirms } from "./confirm.js";
import { enhanceReplyField } from "./comments.js";
import { paintBlurhashes } from "./blurhash.js";
import { enhanceCarousels } from "./carousel.js";
import { enhanceFeed } from "./feed.js";
import { enhanceAvatarCrop } from "./avatar.js";
import { enhanceDismiss, enhanceFollow } from "./follow.js";
import { enhanceRail } from "./rail.js";
import { enhanceSearch } from "./search.js";
import { enhancePush, enhanceReload, registerWorker } from "./pwa.js";
import { enhanceShared } from "./share.js";
import { enhanceHome } from "./home.js";
import { enhanceLive } from "./live.js";
import { enhanceChat } from "./chat.js";
import { enhanceExports } from "./settings.js";
import { installShortcuts } from "./keys.js";

export function enhance(root) {
  paintBlurhashes(root);
  enhanceLive(root);
  enhanceChat(root);
  enhanceExports(root);
  enhanceCarousels(root);
  enhanceToggles(root);
  enhanceConfirms(root);
  enhanceReplyField(root);
  enhanceDoubleTap(root);
  enhanceFollow(root);
  enhanceDismiss(root);
  enhanceSearch(root);
  enhanceAvatarCrop(root);
  // Compose's module is loaded only where its form is, to keep the feed's script small.
  if (root.querySelector?.("form[data-compose]")) {
    import("./compose.js").then((m) => m.enhanceCompose(root));
  }
  if (root.querySelector?.("[data-add-keyword]")) {
    import("./filters.js").then((m) => m.enhanceFilterForm(root));
  }
  enhancePush(root);
  enhanceReload(root);
  enhanceShared(root);
}

enhance(document);
enhanceFeed(document, enhance);
enhanceHome(document, enhance, enhanceFeed);
enhanceRail(document, enhance);
registerWorker();
installShortcuts();
