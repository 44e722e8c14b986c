// Shared-data keys of one rules service. Shared data is process-wide per vm_id and Istio leaves
// vm_id empty, so every plugin of a proxy shares one namespace: the keys are routekey's and name
// the service (a hash of cluster, authority and path), so that two configurations that fetch
// the same rules share one fetcher and two that fetch different rules do not collide.
import { RulesService } from "../config/service";
import { hashBytes } from "../bytes";

export class ServiceKeys {
  /** e.g. `routekey.rules.1a2b3c4d`; the keys below are it plus `.lease`, `.doc`, `.gen`. */
  readonly prefix: string;
  readonly lease: ArrayBuffer;
  readonly doc: ArrayBuffer;
  readonly gen: ArrayBuffer;

  constructor(service: RulesService) {
    let id = String.UTF8.encode(service.cluster + "\n" + service.authority + "\n" + service.path);
    let h = hashBytes(changetype<usize>(id), <usize>id.byteLength);
    let prefix = "routekey.rules." + h.toString(16);
    this.prefix = prefix;
    this.lease = String.UTF8.encode(prefix + ".lease");
    this.doc = String.UTF8.encode(prefix + ".doc");
    this.gen = String.UTF8.encode(prefix + ".gen");
  }
}

