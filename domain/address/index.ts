export { allRegions, getRegion, hasDistricts, isWithin, lineage, regionsNamed, type Region, type RegionLevel } from './divisions.js';
export { haversineKm, regionCentre, type LatLng } from './geo.js';
export { normaliseText, shortName } from './names.js';
export { addressFingerprint, normaliseDetail } from './normalise.js';
export {
  defaultAddressParser,
  describeRegion,
  parseAddress,
  type AddressCandidate,
  type AddressInput,
  type AddressParser,
  type AddressResolution,
  type RegionRef,
  type ResolvedRegion,
} from './parse.js';
