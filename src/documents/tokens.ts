import { Token } from '@lumino/coreutils';

import { LiveGraphsDrive } from './drive';

/**
 * The LiveGraphs drive of shared documents (dashboards and charts).
 */
export const ILiveGraphsDrive = new Token<LiveGraphsDrive>(
  'livegraphs-ext:ILiveGraphsDrive',
  'The drive of shared dashboards and charts kept by the store.'
);
