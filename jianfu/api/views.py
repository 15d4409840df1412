from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from jianfu.api.forms import TokenForm
from jianfu.api.models import ApiToken
from jianfu.api.services import token_create, token_revoke
from jianfu.core.errors import DomainError
from jianfu.core.views import form_error


@login_required
@require_http_methods(["GET", "POST"])
def token_index(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = token_create(actor=request.user, name=form.cleaned_data["name"])
        except DomainError as error:
            form_error(form, error)
        else:
            form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens, "issued": issued})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404
    token_revoke(actor=request.user, token=token)
    return redirect("token_index")
