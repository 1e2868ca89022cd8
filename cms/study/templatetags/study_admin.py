from django import template

register = template.Library()


@register.filter
def study_duration(seconds) -> str:
    """Time spent as people say it: 1 小时 5 分, 12 分钟, 40 秒, — for nothing yet."""
    seconds = int(seconds or 0)
    if seconds <= 0:
        return "—"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"
    return f"{minutes} 分钟" if minutes else f"{seconds} 秒"
