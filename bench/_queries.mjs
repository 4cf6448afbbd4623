// The SQL the API runs, from the compiled build (dist/), for the floor (members.mjs) and the peer (_peer.mjs): the
// bench runs the API's own query builders, so the three cannot drift. The one place that names their module.
export const { memberGetQuery, memberListQuery } =
  await import('../dist/libs/members/src/member-queries.js');
export const { toPage } = await import('../dist/libs/core/src/pagination/cursor.js');
export const { membershipStatsQuery, PARENT, toMembershipStats } =
  await import('../dist/libs/stats/src/stats-queries.js');
