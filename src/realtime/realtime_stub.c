/* realtime_stub.c — placeholder until the Socket.IO server lands (replaced by realtime.c). */
#include "realtime/realtime.h"

void rt_on(const char *event, rt_event_fn fn) { (void)event; (void)fn; }
bool rt_wants_ack(const struct rt_call *call) { (void)call; return false; }
void rt_ack(struct rt_call *call, json_t *args) { (void)call; json_decref(args); }
void rt_ack_error(struct rt_call *call, const char *code, const char *message) { (void)call; (void)code; (void)message; }
int rt_join(struct rt_call *call, const char *room) { (void)call; (void)room; return 0; }
int rt_leave(struct rt_call *call, const char *room) { (void)call; (void)room; return 0; }
int rt_emit(const char *room, const char *event, json_t *data, const char *except) { (void)room; (void)event; (void)data; (void)except; return 0; }
bool rt_user_online(const char *user_id) { (void)user_id; return false; }
int realtime_start(struct app *app) { (void)app; return 0; }
void realtime_stop(void) {}
